//! [`Id`] as the GraphQL `ID` scalar: the services' id type appears in the schema as
//! the standard `ID` (a UUID string), so views and inputs need no GraphQL twin.

use std::borrow::Cow;

use async_graphql::{
    ContextSelectionSet, ID, InputType, InputValueError, InputValueResult, OutputType, Positioned, ServerResult, Value,
    parser::types::Field, registry::Registry,
};
use uuid::Uuid;

use crate::services::types::Id;

impl InputType for Id {
    type RawValueType = Self;

    fn type_name() -> Cow<'static, str> {
        <ID as InputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <ID as InputType>::create_type_info(registry)
    }

    fn parse(value: Option<Value>) -> InputValueResult<Self> {
        let id = <ID as InputType>::parse(value).map_err(InputValueError::propagate)?;
        Uuid::parse_str(id.as_str()).map(Id).map_err(|_| InputValueError::custom("not a valid id (a UUID)"))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }
}

impl OutputType for Id {
    fn type_name() -> Cow<'static, str> {
        <ID as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <ID as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, _ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        Ok(Value::String(self.0.to_string()))
    }
}
