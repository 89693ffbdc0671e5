//! Credential providers: the cloud logins (ECR with the AWS chain, Azure ACR managed identity)
//! and docker `config.json` (auths, helpers, identity tokens), each giving registry credentials.

pub mod aws;
pub mod azure;
pub mod dockerconfig;
pub mod sigv4;
