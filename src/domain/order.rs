//! Orders placed at the edge, pure: compliance first, then totals in integer fen.
//!
//! Compliance: special-management drugs are never sold online (`restricted_drug`); Rx lines
//! need a prescription id (`prescription_required`). Totals: the coupon's discount comes from
//! `CouponTerms::discount`, so it never touches Rx or special lines and never exceeds the
//! eligible subtotal.

use super::coupon::{CouponTerms, NotApplicable};
use super::order_lines::{has_rx, validate_lines, DrugClass, OrderLine};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderRefusal {
    /// 400 invalid_request, naming the field.
    Invalid(String),
    /// 422 restricted_drug: the index of the first special-management line.
    RestrictedDrug { line: usize },
    /// 422 prescription_required.
    PrescriptionRequired,
    /// 422 coupon_not_applicable.
    CouponNotApplicable(NotApplicable),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub subtotal_fen: i64,
    pub discount_fen: i64,
    pub payable_fen: i64,
}

/// Checks an order in the order a pharmacist would: the lines themselves, what may not be sold
/// at all, what needs a prescription, then what the coupon takes off.
pub fn price(
    lines: &[OrderLine],
    prescription_id: Option<&str>,
    coupon: Option<(&CouponTerms, Option<&[DrugClass]>)>,
) -> Result<Totals, OrderRefusal> {
    validate_lines(lines).map_err(OrderRefusal::Invalid)?;
    if let Some(line) = lines
        .iter()
        .position(|line| line.drug_class == DrugClass::Special)
    {
        return Err(OrderRefusal::RestrictedDrug { line });
    }
    if has_rx(lines) && prescription_id.is_none_or(|id| id.trim().is_empty()) {
        return Err(OrderRefusal::PrescriptionRequired);
    }
    let subtotal_fen: i64 = lines.iter().map(OrderLine::total_fen).sum();
    let discount_fen = match coupon {
        None => 0,
        Some((terms, classes)) => {
            terms
                .discount_for(lines, classes)
                .map_err(OrderRefusal::CouponNotApplicable)?
                .discount_fen
        }
    };
    Ok(Totals {
        subtotal_fen,
        discount_fen,
        payable_fen: subtotal_fen - discount_fen,
    })
}

/// How the member gets the goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fulfilment {
    Pickup,
    Delivery,
}

/// Where an order is in its life. `accepted` is stored at the edge; `forwarded` once the core
/// acknowledged it; the rest come from the core's events and the store's verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Accepted,
    Forwarded,
    Confirmed,
    Rejected,
    ReadyForPickup,
    PickedUp,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Accepted => "accepted",
            OrderStatus::Forwarded => "forwarded",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Rejected => "rejected",
            OrderStatus::ReadyForPickup => "ready_for_pickup",
            OrderStatus::PickedUp => "picked_up",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<OrderStatus> {
        serde_json::from_value(serde_json::Value::String(raw.to_owned())).ok()
    }

    /// Nothing moves an order out of these.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Rejected | OrderStatus::PickedUp | OrderStatus::Cancelled
        )
    }
}

/// What can happen to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderHappening {
    /// The core answered 2xx to the order's delivery.
    Forwarded,
    Confirmed,
    Rejected,
    ReadyForPickup,
    Cancelled,
    PickedUp,
}

/// The status after `happening`, or `None` when it changes nothing: a late or repeated
/// event, or one that a final status no longer admits (a cancelled order is never picked up,
/// a picked-up order is never cancelled at the edge).
pub fn next_status(current: OrderStatus, happening: OrderHappening) -> Option<OrderStatus> {
    use OrderHappening as H;
    use OrderStatus as S;
    let before_ready = matches!(current, S::Accepted | S::Forwarded | S::Confirmed);
    match happening {
        H::Forwarded if current == S::Accepted => Some(S::Forwarded),
        H::Confirmed if matches!(current, S::Accepted | S::Forwarded) => Some(S::Confirmed),
        H::Rejected if before_ready => Some(S::Rejected),
        H::ReadyForPickup if before_ready => Some(S::ReadyForPickup),
        H::Cancelled if before_ready || current == S::ReadyForPickup => Some(S::Cancelled),
        H::PickedUp if current == S::ReadyForPickup => Some(S::PickedUp),
        _ => None,
    }
}

/// Moving into this status gives a locked coupon back to the member.
pub fn releases_coupon(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Rejected | OrderStatus::Cancelled)
}

/// How a coupon's discount is shared among the lines it may touch: in proportion to each
/// line's total, rounded down, the fen left over going to the largest remainders (earliest
/// line first on a tie). The shares sum to `discount_fen` exactly, never exceed a line's
/// total, and are 0 on lines a coupon may never discount (Rx, special).
pub fn allocate_discount(lines: &[OrderLine], discount_fen: i64) -> Vec<i64> {
    allocate_discount_for(lines, discount_fen, None)
}

/// `allocate_discount` over the lines of the coupon's `classes` only.
pub fn allocate_discount_for(
    lines: &[OrderLine],
    discount_fen: i64,
    classes: Option<&[DrugClass]>,
) -> Vec<i64> {
    let eligible: Vec<bool> = lines
        .iter()
        .map(|line| super::coupon::eligible(line.drug_class, classes))
        .collect();
    let base: i128 = lines
        .iter()
        .zip(&eligible)
        .filter(|(_, ok)| **ok)
        .map(|(line, _)| i128::from(line.total_fen()))
        .sum();
    let mut shares = vec![0_i64; lines.len()];
    if base <= 0 || discount_fen <= 0 {
        return shares;
    }
    let discount = i128::from(discount_fen.min(base as i64));
    let mut remainders = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if !eligible[index] {
            continue;
        }
        let weighted = discount * i128::from(line.total_fen());
        shares[index] = (weighted / base) as i64;
        remainders.push((weighted % base, index));
    }
    let mut left = discount as i64 - shares.iter().sum::<i64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders {
        if left == 0 {
            break;
        }
        shares[index] += 1;
        left -= 1;
    }
    shares
}

/// A line of an accepted order: the catalogue's name, class and price, the version they were
/// read at, and the line's share of the coupon's discount.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "AcceptedLineWire")]
pub struct AcceptedLine {
    #[serde(flatten)]
    pub line: OrderLine,
    pub discount_fen: i64,
    pub catalog_version: i64,
    /// What the member pays per unit at their tier (`domain::tier_pricing`); absent on
    /// orders stored before member prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_unit_price_fen: Option<i64>,
    /// `(unit_price_fen - member_unit_price_fen) * qty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_discount_fen: Option<i64>,
}

/// The accepted lines of an order priced from the catalogue with `discount_fen` off.
pub fn accepted_lines(
    priced: &[super::catalog::PricedLine],
    discount_fen: i64,
    classes: Option<&[DrugClass]>,
) -> Vec<AcceptedLine> {
    let lines: Vec<OrderLine> = priced.iter().map(|p| p.line.clone()).collect();
    let shares = allocate_discount_for(&lines, discount_fen, classes);
    priced
        .iter()
        .zip(shares)
        .map(|(priced, discount_fen)| AcceptedLine {
            line: priced.line.clone(),
            discount_fen,
            catalog_version: priced.catalog_version,
            member_unit_price_fen: None,
            member_discount_fen: None,
        })
        .collect()
}

/// `AcceptedLine` read through explicit fields: `#[serde(flatten)]` buffers the map and
/// compiles a second decoder for the line over the buffer.
#[derive(serde::Deserialize)]
struct AcceptedLineWire {
    sku: String,
    name: String,
    qty: i64,
    unit_price_fen: i64,
    drug_class: DrugClass,
    discount_fen: i64,
    catalog_version: i64,
    #[serde(default)]
    member_unit_price_fen: Option<i64>,
    #[serde(default)]
    member_discount_fen: Option<i64>,
}

impl From<AcceptedLineWire> for AcceptedLine {
    fn from(wire: AcceptedLineWire) -> Self {
        let line = OrderLine {
            sku: wire.sku,
            name: wire.name,
            qty: wire.qty,
            unit_price_fen: wire.unit_price_fen,
            drug_class: wire.drug_class,
        };
        AcceptedLine {
            line,
            discount_fen: wire.discount_fen,
            catalog_version: wire.catalog_version,
            member_unit_price_fen: wire.member_unit_price_fen,
            member_discount_fen: wire.member_discount_fen,
        }
    }
}
