//! ECR login: the AWS credential chain, STS role assumption and `GetAuthorizationToken`, signed
//! with SigV4; one login per process and settings. One file per job: the shared call plumbing,
//! ECR hosts, the ECR call, STS, the chain with its profiles and metadata sources, the provider.

mod call;
mod chain;
mod ecr;
mod hosts;
mod metadata;
mod profile;
mod provider;
mod sts;
#[cfg(test)]
mod tests;

pub use ecr::{ecr_login, EcrLogin, EcrSettings};
pub use hosts::{domain, ecr_repository, is_ecr_host, valid_region};
pub use provider::{provider, Ecr};
