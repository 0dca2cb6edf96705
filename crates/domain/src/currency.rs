//! ISO 4217 currency codes with their minor-unit exponent, and ISO 3166-1
//! alpha-2 country codes. Money everywhere is an integer number of minor
//! units beside its currency code; the exponent says what one unit is.

use serde::{Deserialize, Serialize};

/// Active ISO 4217 codes whose minor unit is not 2 decimal places.
const EXPONENT_0: &str = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
const EXPONENT_3: &str = "BHD IQD JOD KWD LYD OMR TND";
const EXPONENT_4: &str = "CLF UYW";
/// Active ISO 4217 codes with 2 decimal places.
const EXPONENT_2: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV \
BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR \
FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK \
LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD \
PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL \
THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG";

/// An ISO 4217 currency code such as `IDR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, (&'static str, String)> {
        let code = raw.trim();
        if code.len() == 3
            && code.bytes().all(|b| b.is_ascii_uppercase())
            && exponent_of(code).is_some()
        {
            let b = code.as_bytes();
            Ok(Self([b[0], b[1], b[2]]))
        } else {
            Err((
                "invalid_currency",
                "must be an active ISO 4217 code in capitals, e.g. IDR".to_owned(),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from validated ASCII.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Decimal places of the minor unit (IDR 2, JPY 0, KWD 3).
    pub fn exponent(&self) -> u8 {
        exponent_of(self.as_str()).unwrap_or(2)
    }
}

/// Every code [`Currency::parse`] accepts.
pub fn all_currencies() -> impl Iterator<Item = &'static str> {
    [EXPONENT_0, EXPONENT_2, EXPONENT_3, EXPONENT_4]
        .into_iter()
        .flat_map(str::split_whitespace)
}

fn exponent_of(code: &str) -> Option<u8> {
    [
        (EXPONENT_0, 0),
        (EXPONENT_2, 2),
        (EXPONENT_3, 3),
        (EXPONENT_4, 4),
    ]
    .into_iter()
    .find(|(list, _)| list.split_whitespace().any(|c| c == code))
    .map(|(_, exponent)| exponent)
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value).map_err(|(_, message)| message)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ \
BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK \
DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW \
GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB \
LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC \
NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC \
SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ \
UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Every code [`country`] accepts.
pub fn all_countries() -> impl Iterator<Item = &'static str> {
    COUNTRIES.split_whitespace()
}

/// Checks an ISO 3166-1 alpha-2 country code (capitals, e.g. `ID`).
pub fn country(raw: &str) -> Result<String, (&'static str, String)> {
    let code = raw.trim();
    if code.len() == 2 && COUNTRIES.split_whitespace().any(|c| c == code) {
        Ok(code.to_owned())
    } else {
        Err((
            "invalid_country",
            "must be an ISO 3166-1 alpha-2 code in capitals, e.g. ID".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_carry_their_exponent() {
        assert_eq!(Currency::parse("IDR").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("CLF").unwrap().exponent(), 4);
    }

    #[test]
    fn unknown_or_lower_case_currencies_are_refused() {
        for bad in ["idr", "XYZ", "US", "USDD", "", "XAU"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_lists_have_the_expected_sizes_and_no_repeats() {
        let codes: Vec<&str> = [EXPONENT_0, EXPONENT_2, EXPONENT_3, EXPONENT_4]
            .iter()
            .flat_map(|l| l.split_whitespace())
            .collect();
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(codes.len(), unique.len());
        let countries: std::collections::BTreeSet<_> = COUNTRIES.split_whitespace().collect();
        assert_eq!(countries.len(), 249);
        assert_eq!(COUNTRIES.split_whitespace().count(), 249);
    }

    #[test]
    fn countries_are_checked() {
        assert!(country("ID").is_ok());
        assert!(country("id").is_err());
        assert!(country("XX").is_err());
        assert!(country("IDN").is_err());
    }

    #[test]
    fn currency_round_trips_through_json() {
        let c: Currency = serde_json::from_str("\"EUR\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"EUR\"");
        assert!(serde_json::from_str::<Currency>("\"eur\"").is_err());
    }
}
