//! One integration-test binary, a module per area (see tests/README.md).

mod support;

mod architecture;
mod attribute;
mod audit;
mod body_contract;
mod bulk;
mod bulk_batches;
mod cli_commands;
mod client;
mod completions;
mod config;
mod console_e2e;
mod console_edit_e2e;
mod console_loop;
mod console_safety_e2e;
mod console_trait_form_e2e;
mod console_views_e2e;
mod demo_api_client;
mod demo_auth;
mod demo_cli;
mod demo_identities;
mod demo_registry_and_seed;
mod demo_update;
mod drafts;
mod echoed_secrets;
mod first_run;
mod list_identifiers;
mod reason;
mod sessions;
mod sessions_snapshots;
mod sign_cli;
mod signing;
mod trait_form_snapshots;
mod ui_snapshots;
mod write;
