//! Billing details of a reseller: who is invoiced, where, under which tax id.

use serde::{Deserialize, Serialize};

use crate::{currency, text, text::EmailAddress, Violations};

/// Billing details as sent by a client; every field optional so that every
/// missing one is reported, not only the first.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingInput {
    pub legal_name: Option<String>,
    pub billing_email: Option<String>,
    pub address: Option<AddressInput>,
    pub tax_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// Validated billing details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Billing {
    pub legal_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Email))]
    pub billing_email: EmailAddress,
    pub address: Address,
    pub tax_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

fn required<'a>(v: &mut Violations, field: &str, value: &'a Option<String>) -> Option<&'a str> {
    match value {
        Some(s) => Some(s),
        None => {
            v.add(field, "required", "is required");
            None
        }
    }
}

fn optional_text(
    v: &mut Violations,
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Option<String> {
    let raw = value.as_deref()?;
    if raw.trim().is_empty() && raw.chars().count() <= max {
        return None;
    }
    v.check(field, text::bounded(raw, 1, max))
}

impl Billing {
    pub fn parse(input: &BillingInput) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let legal_name = required(&mut v, "legal_name", &input.legal_name)
            .and_then(|s| v.check("legal_name", text::bounded(s, 1, 200)));
        let billing_email = required(&mut v, "billing_email", &input.billing_email)
            .and_then(|s| v.check("billing_email", EmailAddress::parse(s)));
        let tax_id = optional_text(&mut v, "tax_id", &input.tax_id, 64);
        let address = match &input.address {
            None => {
                v.add("address", "required", "is required");
                None
            }
            Some(address) => match Address::parse(address) {
                Ok(address) => Some(address),
                Err(inner) => {
                    v.nest("address", inner);
                    None
                }
            },
        };
        match (legal_name, billing_email, address) {
            (Some(legal_name), Some(billing_email), Some(address)) if v.is_empty() => Ok(Self {
                legal_name,
                billing_email,
                address,
                tax_id,
            }),
            _ => Err(v),
        }
    }
}

impl Address {
    pub fn parse(input: &AddressInput) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let line1 = required(&mut v, "line1", &input.line1)
            .and_then(|s| v.check("line1", text::bounded(s, 1, 200)));
        let line2 = optional_text(&mut v, "line2", &input.line2, 200);
        let city = required(&mut v, "city", &input.city)
            .and_then(|s| v.check("city", text::bounded(s, 1, 100)));
        let region = optional_text(&mut v, "region", &input.region, 100);
        let postal_code = required(&mut v, "postal_code", &input.postal_code)
            .and_then(|s| v.check("postal_code", text::bounded(s, 1, 20)));
        let country = required(&mut v, "country", &input.country)
            .and_then(|s| v.check("country", currency::country(s)));
        match (line1, city, postal_code, country) {
            (Some(line1), Some(city), Some(postal_code), Some(country)) if v.is_empty() => {
                Ok(Self {
                    line1,
                    line2,
                    city,
                    region,
                    postal_code,
                    country,
                })
            }
            _ => Err(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> BillingInput {
        BillingInput {
            legal_name: Some("PT Tiket Nusantara".into()),
            billing_email: Some("billing@tiket.id".into()),
            address: Some(AddressInput {
                line1: Some("Jl. Sudirman 1".into()),
                line2: None,
                city: Some("Jakarta".into()),
                region: Some("DKI".into()),
                postal_code: Some("10220".into()),
                country: Some("ID".into()),
            }),
            tax_id: Some("01.234.567.8-901.000".into()),
        }
    }

    #[test]
    fn complete_billing_details_parse() {
        let billing = Billing::parse(&complete()).unwrap();
        assert_eq!(billing.address.country, "ID");
    }

    #[test]
    fn every_missing_or_bad_field_is_reported_with_its_path() {
        let mut input = complete();
        input.billing_email = Some("nope".into());
        input.legal_name = None;
        if let Some(a) = input.address.as_mut() {
            a.country = Some("Indonesia".into());
            a.city = None;
        }
        let fields: Vec<String> = Billing::parse(&input)
            .unwrap_err()
            .0
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            fields,
            [
                "legal_name",
                "billing_email",
                "address.city",
                "address.country"
            ]
        );
    }
}
