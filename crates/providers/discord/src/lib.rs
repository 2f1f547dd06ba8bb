//! Sign in with Discord for Portcullis (in progress).
