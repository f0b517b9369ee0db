//! The real AWS backend's building blocks. So far: SigV4 signing (with
//! `aws-sigv4`) and reading the structure of a signed request, which the
//! simulator's HTTP server uses to choose the account. The backend itself
//! (HTTP client, credentials, assume-role) comes next, on top of
//! [`crate::cloud::wire`].

pub mod sign;
