//! Build-time configuration of the OpenAPI derive: the services' id type
//! (`services::types::Id`, a UUID newtype) is documented as the UUID it is.

fn main() {
    utoipa_config::Config::new().alias_for("Id", "uuid::Uuid").write_to_file();
}
