//! The real AWS backend: SigV4 signing (with `aws-sigv4`), credentials per
//! account (base credentials plus an assumed role, cached), and the HTTP
//! backend on top of [`crate::cloud::wire`]. The simulator's HTTP server
//! uses the signature reader to choose the account.

pub mod backend;
pub mod credentials;
pub mod discovery;
pub mod sign;

pub use backend::AwsBackend;
pub use credentials::{Access, CredentialStore};
