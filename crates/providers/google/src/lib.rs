//! Sign in with Google for Portcullis (in progress).
