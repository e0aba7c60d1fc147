//! The billing side of the demo: each organization's invoices (fixed demo data), served as the second company API
//! (`demo-api --audience https://billing.orgpass.example/`), whose tokens Orgpass gets from the same refresh
//! token as the projects API's.

use serde::Serialize;

/// One invoice, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invoice {
    pub id: &'static str,
    pub period: &'static str,
    /// Amount in cents.
    pub amount_cents: u64,
    pub status: &'static str,
}

/// The API identifier (audience) of the billing API in the demo tenant.
pub const BILLING_AUDIENCE: &str = "https://billing.orgpass.example/";

/// The scope `GET /invoices` needs.
pub const READ_INVOICES: &str = "read:invoices";

/// The invoices of `org_id` (none for an organization the demo does not know).
pub fn of(org_id: &str) -> Vec<Invoice> {
    let inv = |id, period, amount_cents, status| Invoice {
        id,
        period,
        amount_cents,
        status,
    };
    match org_id {
        "org_AcmeA1b2C3d4E5f6" => vec![
            inv("inv_acme_2026_10", "2026-10", 129_900, "paid"),
            inv("inv_acme_2026_11", "2026-11", 131_400, "open"),
        ],
        "org_GlobexG7h8I9j0K1" => vec![inv("inv_globex_2026_11", "2026-11", 48_000, "open")],
        "org_InitechL2m3N4o5p" => vec![inv("inv_initech_2026_11", "2026-11", 9_900, "paid")],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_organization_has_its_own_invoices() {
        let ids = |org| super::of(org).iter().map(|i| i.id).collect::<Vec<_>>();
        assert_eq!(
            ids("org_AcmeA1b2C3d4E5f6"),
            ["inv_acme_2026_10", "inv_acme_2026_11"]
        );
        assert_eq!(ids("org_GlobexG7h8I9j0K1"), ["inv_globex_2026_11"]);
        assert!(ids("org_Unknown1").is_empty());
    }
}
