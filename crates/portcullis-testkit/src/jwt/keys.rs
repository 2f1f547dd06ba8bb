//! The test keys: every ID token the testkit signs, in the mock's OpenID Connect mode or
//! for a provider crate's tests ([`Signer`](super::Signer)), is signed with one of these.
//!
//! **Test keys only.** They were generated once with `openssl genrsa -traditional 2048`
//! and `openssl genpkey -algorithm ed25519` for this crate and are published with its
//! source: anyone can sign tokens with them. Never trust them outside a test, and never
//! use them for anything else. They are fixed rather than generated at start because
//! generating a 2048-bit RSA key takes seconds in a debug build.

/// The RSA keys (PKCS#1 PEM), in the order [`Signer::rsa_key`](super::Signer::rsa_key)
/// numbers them; the mock signs with them in turn as it rotates its key.
pub(crate) const RSA: [&str; 3] = [RSA_1, RSA_2, RSA_3];

/// The Ed25519 key (PKCS#8 PEM) of [`Signer::ed25519`](super::Signer::ed25519).
pub(crate) const ED25519: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEICbCp11ITrxv0ubukT0z8ML17f4ndoYNRj+3ECANXK9G
-----END PRIVATE KEY-----";

/// Test-only RSA key 1 (PKCS#1 PEM). Public knowledge: signs test ID tokens only.
const RSA_1: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAoJXeO68duXPCm3L3OWpFUZ5LjuLBtnkjtle4xRiyNklvNgU5
KXz0Ykcz4AXnx431l9Zv9d51zdya5loCtwcyvSHDTNbiskqN8SXKHmA3GD/LoA6b
b3+ZkJHoEK+xQsDyKi5ZsorSx5oQiUk4G83tXUu9zCnJlx20chWZWdgkslGFxBt0
WJX2PXCxD0fJpbo5AysTahm1bh2cmgx5kA5tFZClxprxtBbmIkhLOK5tKsY8HiuX
pZEnTXCpsiN7c6DdXowZf+SPSyaL2qrBb7XPjJIapk4LE75qM+AUj8YFUIViLZSR
iT6hpvjm+nNmfFnEYL0t49e2YOjnHfGzGRJx2wIDAQABAoIBAAcZON6oigbVoCeg
+F64XOITvkFNssRvLG32CLvlsJMHwfvAVVuJI4Bop1liyXEfzFhu6ToUIF7+Pnaq
Se5vSgXkRS7TXOgGtamQQxP+qtDOmSC1JJfUKySh3oFGUu6hetL0g5CJ5HFgVRTM
gMdx3ek+3N/2hOvCK2TToZjAHjcno2cEK1+t+W2s6qzbQeXo+a3blGngI75DvIJM
rAwh07TcbjnoodDFAUdBO9CcWMM4F96JSdQXiNaeTfOQKU7stiQdUhlFWQxtLwqj
x1a4JKgKlCVQT9oji9rt+DEZP4oXOFooh1zdW11bQRK9IgZc1D5tI1FpDOjWYiwO
ydhm+HECgYEA2+xFmsSZyQGt3mPEpok5FZOx5p2IcyjB/QhFinXPLc1N63mAOZVE
rI5Jv/+GVqHY+CwX8Yx6UI2rfOKzimb7uNXrE4cpbzqGg4g2odJgwx7vxQppdIFu
i7HXRQFlryT82NKZ4fDva+dvm6OjBGFET+HYn8Dy5JDWgwYr9G0NRnkCgYEAuu2z
LOv31k+c+ILeh9XSYl4hZv4uUjrMwOF35yqxyRMNK2GeO+3LEBxjXV/Y4MHvu1zP
fEREy8cuMYFmJOnTnjsXECuAr66EVQpcnqSJJuwRIWS2F6Ljy+ik8ezNU0/2P+OE
Z4p15QF98gAbhCv5kNbI1JrdMRUmLzXSH/KNtfMCgYEA1QKbRFWKMpPKyS1PCpK8
1LZSSHFq+UeP5To+yOZkvhMtlpb/aEa41n2W1z1y67Qlh/KFWnNbAWzGndaiWbp3
s8aWwzpWGqLQKNQlPkWbbUIosGvuSmcXIH0naXH6AFNOB+CsJZiM/bGTe2dafOKN
HOY+QDXNzS6wZwXySvPZONkCgYAI/MrDmyjUXgmPDUPDxi0SW7JBcHErtPYJRA3u
yGe54jec4VmpSfqccLD6WVRlIg3ztTeoouOn5JC9Apq1paRuFCs8tMrAJ6TnLdNc
MU8C1xDPyTbUFhnbwPjFRPxuSAbv9XF1RPv8IcE7dHPeO/sI0rrfNf7ykDDAzlan
AJN9rwKBgAXW9Fr5ojc8Htuhm4SmfNp7ua+7YJ1oadU8IVUQZ5XoS38wTnKSqRvk
dhdhSvD+9QKrUUREPTHGQF6W5AK9raOYUXQlT1ZHIjfPxAz1JiY5AfkJLIC76cSX
XFOW7xYJnP9AVffSAOz1W/zvRNQPoodBFAffIYzzFRRHEQWD+jpA
-----END RSA PRIVATE KEY-----";

/// Test-only RSA key 2 (PKCS#1 PEM). Public knowledge: signs test ID tokens only.
const RSA_2: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAuWh1d+MQXptERYhEYn+wGXZ+ZBgMf3XmcPGnJXl2mG5zAljH
z5d6g7vzM3zzVNN3/0QwAY5xmkGvdiF6tdxzi8VryVC6kP3jrLHMrQh1QorKlzKJ
XQ123zcG9X34W3HDYmESliHVzajwGuJiaerf7Oo/9q4AasTkq5tsBjo3V2rBOovq
LeXC+jsqOOZuD3Eey7pMm/CqNSMjXbcugRyOqB60fA0mp6aajxb6cbaVztBC1ARm
vWl9AntKITv2wXtUkIPtaPR1LabUvy5hL0JPs5Rkca+lbBb98EVuEZfP8HSq5B/+
0pBeYiwDvNsg3mq3orYIRr1VJlVf6ptWRoTCfwIDAQABAoIBACbQ7DrfskckOXxX
JX37nooOKTLaaA9tRwPhS62ISuBpyzE0FgzreS5INIfUgnsBVM9/3o8M29LAKrRQ
GQkm8JfUCpdYi96cEMTQannVWftG5FgYL/LnxTnBIvdVWqAGZrHbgdEln0XRtwbh
21myXxQSDLcfwZ2YwAj/XnPFT13A9ANEzmwK3suVA/mrUED/bzY/MzobLfHESGI2
TI/CxjXewF3fO/+eMnp214r4kaFnU0nJuds97yQi2zf0lWqB3pBUZSDHFf5ikkwP
vK8XdjoDrFljObP/bSL5gmiVCKNrYFOuPl3NMQSV08oEcimsdEliF2ChONmk91BU
dcBX020CgYEA5Mfj2uXbJWW27txJ+06YdiwSUZF75SpZaD4bz2mDSE6ASL2/0EwK
YQeoa0vkRL4y4a2pIfH9Hgw54QiOYYPWMSpx1072anfKkvb7fKa2H9paf5SMB03z
ixE+wJVYCpEgb53VhmIS5NL7BYrMAqiPw4LzLi5Z5vi5IeqQpkFjzH0CgYEAz3eJ
+qXzvl0O+4wXRHJ4D6tpmO4k39FTaDc+U8GWYiEkIWqD+JM6Cx0chNVPLO8Mqa53
yP0Ya6Xw9+aJrXnjGdLGL338rx4mNJQwOrWkS/UkBREXbqDfyD5irvnukPsiWB59
2rO5Uw2OmB6OjNxUvItWW+CutRKRlG3GYNtex6sCgYEA47La4gPBsB/jCSrw6xFX
hs3oUYy1vej/YVPng/Ck/DM9VKieHyd/cQEZK+k1wQF4TMr1udZKMTzD4mgMpZt8
dCSld0Cc2mxtjwYIWRDn1R4S0kW7dI2t5mx8g1pgbOvyV4TEfuJfoaUmt2ZkFAVG
SLWtaPoy+kH0qH/4BbCxLlUCgYEAxJCAtW84Yftvb5uKi/pckJQap5+yZjDA8rOs
pNR89BpsThDKWuC7FL6PP7eOnYccG0RHD7HkylFd3rKZbThXmCbgSSz4FL7e+eAR
Vf61XJY1e2t3JQTdIa8h9qCsjMa0AoNZQLYZd3wXxz7kVseGrWDjAIf/X2XpcpUT
aL9PrKMCgYBOaW2zC/FI9uemwQt4JkCjek3PimEnA9fCbDdMe6V4wQc5RpoBg9bD
2AcNEOjIdYYIbta3gV6jboJOQFQBoB6j35CyWEjdpGZ0hTQpW51VyWWvzX9zWhUB
I5DFouvgGqnT2fHfkykN6jrvIcF0q+Z39ZmxLglYrO70AQoiPexLNg==
-----END RSA PRIVATE KEY-----";

/// Test-only RSA key 3 (PKCS#1 PEM). Public knowledge: signs test ID tokens only.
const RSA_3: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAz5L5K2Pa/5mFckL4wYm+rtVURN+UghIQjrnBgGDgd6fbr+UL
26JiQA4lekGfxh9RobaJOMmhaV1wbHDNdPDr4R+rXoC1mkkbcXqTLbmIJqD2FGMi
jiI/sQR0sLwCawHt3cgsyW8sQCatOl02s2waTl4f7GYwXVxdhF/15J9R2U0xWGTi
gG4fbPU10gIWdZ2VX9sPgL9if/LTJYa6qnix8Eo5OnzuqiXiBesvFs+mbKGGTBWd
UXouVUElRNTwOXsXAFlBUdOqa8t2dZLeQzeflT3nEdswr9ePXZYeGLAoz65KHTRZ
2MGBA3WvJsQBG94h2Bl9xFIY4PwE3N+tLTwo7wIDAQABAoIBADPr1onE832l4Bxh
pil7FAhVcju8FUCn1h5tVnqPQPaNNUV9LIcmyh6tqzA2hAmhweCKcS6UONzLM5jc
angK32Wzb0E3PrW1/bhX6cKxOt42uvcEiRs2c+oKbEnc7Vno5J/qN1G3jkEJq6EC
ufENZFMf9ipCsWxY80duXWpvc6C/26kpcJTUSGJuZrFWFWlCGqx1fuB+MfOcUevn
CwDr04EhG2bzYHDtmzl+SrS7LqiIwA4oxqwE0BRQQZlWYCqTH8i/vpKGZDpzYhcq
uGc2WWe4g9MISdk+c4Qu8vtbTczKp7BUFh0yCqwFacr+XR67cwk4tdV4mg/oliy2
m4KIXSkCgYEA+EKGZ+Zp11FNPJiFyh20GDTgj3afar4SFHZNq6IHkx0kOqcV4Dsx
Tqw11uKhh/Id2hGoq9FvzZRYs7z0ne5H5brLwxdw5pvblfe9fSR6zJWtpQi9rZKP
5IQOcworx07iTrN5zKBS5ftVezl9756ilCH92ODxgHVMSMLF2EKwDpUCgYEA1gu3
gRwGiu9nDduiY/835mns+Jk3jqlvGImyelV+9yzm7VGZMdDCocNIbrjr5juO5Ern
TPf/keF+hMbLkzJFiUGv7Bnbe9KxCymh+hF/rSCb7ja2pg48lV4DLQcESuOYRMN6
1GlLHI2pFWvvoTCkC/GsSFOrD9Da6bJ9RgoULHMCgYEAtl23+e7qZP8WK6Mm9Jfp
SbbeFsTeyjyhb2KQH7pAsjLAAE3o5fTVfaNHUXjdi82xXBWIv95zsKJ+nln5n2IA
cqNLNx6rEtv+7CU2jw0TH+H70rWfEDgPd6ACNUONcTVjTMjOeiBzhPmhi4lqF3GC
oCpwHLbw8Jo51WEukHQ8fBkCgYEAzHaWzRsDWPZFP+SdI95o/I4U0ogxnPJW8F6g
geFnjh9zXCFFMGPVeAZ+C15T4TLlVUgD2O9RT33SiG0Ji8tKx0lbDjLJCWgCvMIB
O0o55xwuN4hGQyt4TcpnSDzaqdrs2krM61jFajob2R2o4xX+rnYl91UNI+eDJhfd
OOlpyecCgYAtiz0csWPyOFvt/ftQEHMlNg3ZHENRfQs8AbCDhyuaIlxKg9gU1Kzz
bq88+IhVWq+W9//dqMDA55LjZKmO5FxyDy200XnbwF07oaq41bINSsE+NPGiajfa
7fsma7YrODj6vFsRz/NdS1GYiDN8sqyrWm90rIr/786aXPoUa+qYTQ==
-----END RSA PRIVATE KEY-----";
