//! The JSON bodies of the write endpoints, as the handlers read them. Pure, so every body is
//! parsed natively in tests and fuzz targets exactly as the worker parses it. Unknown fields
//! are refused: a client sending something it expects to matter hears that it does not.

use crate::domain::catalog::LineRequest;
use crate::domain::ids::{OrderId, StoreId};
use crate::domain::order::Fulfilment;
use crate::domain::time::BusinessDate;
use serde::{Deserialize, Serialize};

/// POST /v1/checkins: optional, no fields yet.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckinBody {}

/// POST /v1/checkins/makeup
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MakeupBody {
    pub date: BusinessDate,
}

/// POST /v1/campaigns/{id}/claims: optional; a store poster's link adds store and signature.
#[derive(Debug, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    #[serde(default)]
    pub store_id: Option<StoreId>,
    #[serde(default)]
    pub poster_sig: Option<String>,
    /// Where the claim came from (`Attribution::check`); forwarded in `coupon.claimed`.
    #[serde(default)]
    pub attribution: Option<crate::domain::attribution::Attribution>,
}

/// POST /v1/referrals/link: optional, no fields yet.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {}

/// POST /v1/orders
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderBody {
    pub store_id: StoreId,
    pub fulfilment: Fulfilment,
    /// SKU and quantity (and the price the member saw); anything else is refused.
    pub lines: Vec<LineRequest>,
    #[serde(default)]
    pub coupon_id: Option<String>,
    #[serde(default)]
    pub prescription_id: Option<String>,
    /// Where the order came from (`Attribution::check`); forwarded to the core.
    #[serde(default)]
    pub attribution: Option<crate::domain::attribution::Attribution>,
}

/// POST /v1/store/pickups/verify: `{code}` (a scanned QR) or `{order_id, short_code}`
/// (typed at the counter).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub order_id: Option<OrderId>,
    #[serde(default)]
    pub short_code: Option<String>,
}

/// PATCH /v1/admin/campaigns/{id}: the change itself is the domain's (`apply_patch`).
pub use crate::domain::campaign_patch::CampaignPatch;

/// PATCH /v1/admin/catalog/{sku}: an admin's stop-sale, or lifting it; always with a reason.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogStatusBody {
    pub status: crate::domain::catalog::SaleStatus,
    pub reason: String,
}

impl CatalogStatusBody {
    /// The reason is what an inspector reads in the audit: up to 200 characters of text, not
    /// only white space (counted as sent, as the OpenAPI `maxLength` counts; stored trimmed).
    pub fn check(&self) -> Result<(), String> {
        let chars = self.reason.chars().count();
        if chars > 200 || self.reason.trim().is_empty() || self.reason.chars().any(char::is_control)
        {
            return Err(
                "reason: 1 to 200 characters, not only white space, no control characters".into(),
            );
        }
        Ok(())
    }
}
