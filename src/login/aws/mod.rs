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

pub(crate) use provider::provider;
