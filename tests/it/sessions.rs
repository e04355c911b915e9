//! Sessions and recovery: the demo's routes (`demo_routes`), their shapes
//! against the Kratos OpenAPI spec (`contract`), idcon's client, and the
//! `idcon sessions` and `idcon recovery` commands run as the binary.

mod client;
mod contract;
mod demo_routes;
