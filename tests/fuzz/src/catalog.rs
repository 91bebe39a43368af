//! The `catalog_pricing` target: orders priced from a random catalogue, and the coupon's
//! discount shared among their lines.

use pharmedge::domain::catalog::{
    check_requests, price_lines, CatalogItem, LineRefusal, LineRequest, PricedLine, SaleStatus,
};
use pharmedge::domain::coupon::discountable;
use pharmedge::domain::order::{accepted_lines, allocate_discount};
use pharmedge::domain::order_lines::{DrugClass, OrderLine, MAX_QTY, MAX_UNIT_PRICE_FEN};

/// Reads the fuzz input as numbers, a byte or a few at a time; zeros once it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        first
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }
    fn i64(&mut self) -> i64 {
        i64::from(self.u32()) << 32 | i64::from(self.u32())
    }
}

const CLASSES: [DrugClass; 7] = [
    DrugClass::Rx,
    DrugClass::OtcA,
    DrugClass::OtcB,
    DrugClass::Health,
    DrugClass::Device,
    DrugClass::Other,
    DrugClass::Special,
];

/// A price in fen: mostly in bounds, sometimes at or past them.
fn price(bytes: &mut Bytes) -> i64 {
    match bytes.byte() % 8 {
        0 => 0,
        1 => MAX_UNIT_PRICE_FEN,
        2 => MAX_UNIT_PRICE_FEN + 1,
        3 => -1,
        _ => i64::from(bytes.u32()) % (MAX_UNIT_PRICE_FEN + 1),
    }
}

/// What the target reads from its input.
pub struct PricingInput {
    pub items: Vec<CatalogItem>,
    pub requests: Vec<LineRequest>,
    pub discount_fen: i64,
}

/// Input: a catalogue of 1 to 8 items (class, price, status, limit, version), then up to 15
/// lines (a catalogue SKU or an unknown one, a quantity, maybe a shown price), then a discount.
pub fn pricing_input(data: &[u8]) -> PricingInput {
    let mut bytes = Bytes(data);
    let items: Vec<CatalogItem> = (0..1 + bytes.byte() % 8)
        .map(|n| {
            let drug_class = CLASSES[usize::from(bytes.byte()) % CLASSES.len()];
            let flags = bytes.byte();
            CatalogItem {
                sku: format!("sku-{n}"),
                name: format!("药 {n}"),
                drug_class,
                price_fen: price(&mut bytes).clamp(0, MAX_UNIT_PRICE_FEN),
                version: i64::from(bytes.byte()),
                category: None,
                status: if flags.is_multiple_of(5) {
                    SaleStatus::Stopped
                } else {
                    SaleStatus::OnSale
                },
                max_qty_per_order: flags
                    .is_multiple_of(3)
                    .then(|| 1 + i64::from(bytes.byte() % 20)),
            }
        })
        .collect();
    let requests: Vec<LineRequest> = (0..bytes.byte() % 16)
        .map(|_| {
            let pick = usize::from(bytes.byte()) % (items.len() + 1);
            let sku = items
                .get(pick)
                .map_or("unknown-1".to_owned(), |i| i.sku.clone());
            let qty = match bytes.byte() % 6 {
                0 => i64::from(bytes.u32() % 1_100),
                1 => MAX_QTY,
                _ => 1 + i64::from(bytes.byte() % 12),
            };
            let unit_price_fen = match (bytes.byte() % 4, items.get(pick)) {
                (0, Some(item)) => Some(item.price_fen),
                (1, _) => Some(price(&mut bytes)),
                _ => None,
            };
            LineRequest {
                sku,
                qty,
                unit_price_fen,
            }
        })
        .collect();
    let discount_fen = match bytes.byte() % 4 {
        0 => bytes.i64(),
        _ => i64::from(bytes.u32() % 2_000_000),
    };
    PricingInput {
        items,
        requests,
        discount_fen,
    }
}

/// `price_lines` must refuse exactly as its rules say, or price every line from the catalogue;
/// `allocate_discount` must share the discount exactly, never past a line, never on Rx/special.
pub fn catalog_pricing(data: &[u8]) {
    let PricingInput {
        items,
        requests,
        discount_fen,
    } = pricing_input(data);
    let held = |sku: &str| items.iter().find(|item| item.sku == sku);
    let result = price_lines(&requests, held);
    check_refusal(&requests, &items, &result);
    if let Ok(priced) = &result {
        check_discount(priced, discount_fen);
    }
    // allocate_discount on its own, on every line the catalogue allows, whatever was refused.
    let lines: Vec<PricedLine> = requests
        .iter()
        .filter_map(|request| {
            let item = held(&request.sku)?;
            (1..=MAX_QTY).contains(&request.qty).then(|| PricedLine {
                line: OrderLine {
                    sku: item.sku.clone(),
                    name: item.name.clone(),
                    qty: request.qty,
                    unit_price_fen: item.price_fen,
                    drug_class: item.drug_class,
                },
                catalog_version: item.version,
            })
        })
        .collect();
    check_discount(&lines, discount_fen);
}

fn check_refusal(
    requests: &[LineRequest],
    items: &[CatalogItem],
    result: &Result<Vec<PricedLine>, LineRefusal>,
) {
    let held = |sku: &str| items.iter().find(|item| item.sku == sku);
    let shape_ok = check_requests(requests).is_ok();
    // Each line as the pharmacist checks it in turn: known, sold online, on sale.
    let first_bad = requests.iter().position(|request| {
        held(&request.sku).is_none_or(|item| {
            item.drug_class == DrugClass::Special || item.status == SaleStatus::Stopped
        })
    });
    match result {
        Err(LineRefusal::Invalid(_)) => assert!(!shape_ok, "refused lines of a valid shape"),
        Err(LineRefusal::UnknownSku { line }) => {
            assert!(shape_ok && first_bad == Some(*line) && held(&requests[*line].sku).is_none())
        }
        Err(LineRefusal::Restricted { line }) => {
            let item = held(&requests[*line].sku).expect("restricted an unknown SKU");
            assert!(shape_ok && first_bad == Some(*line) && item.drug_class == DrugClass::Special);
        }
        Err(LineRefusal::Stopped { line }) => {
            let item = held(&requests[*line].sku).expect("stopped an unknown SKU");
            assert!(shape_ok && first_bad == Some(*line) && item.status == SaleStatus::Stopped);
            assert_ne!(
                item.drug_class,
                DrugClass::Special,
                "special is refused first"
            );
        }
        Err(LineRefusal::QuantityLimit { line, max }) => {
            assert!(shape_ok && first_bad.is_none());
            let sku = &requests[*line].sku;
            assert_eq!(
                held(sku).and_then(|item| item.max_qty_per_order),
                Some(*max)
            );
            let upto: i64 = requests[..=*line]
                .iter()
                .filter(|r| &r.sku == sku)
                .map(|r| r.qty)
                .sum();
            assert!(upto > *max, "refused {upto} under the limit {max}");
        }
        Err(LineRefusal::PriceChanged { current }) => {
            assert!(shape_ok && first_bad.is_none());
            check_priced(requests, items, current);
            assert!(requests.iter().zip(current).any(|(request, line)| request
                .unit_price_fen
                .is_some_and(|seen| seen != line.line.unit_price_fen)));
        }
        Ok(priced) => {
            assert!(
                shape_ok && first_bad.is_none(),
                "priced a line it must refuse"
            );
            check_priced(requests, items, priced);
            for (request, line) in requests.iter().zip(priced) {
                assert!(request
                    .unit_price_fen
                    .is_none_or(|seen| seen == line.line.unit_price_fen));
            }
            for item in items {
                let total: i64 = requests
                    .iter()
                    .filter(|r| r.sku == item.sku)
                    .map(|r| r.qty)
                    .sum();
                assert!(
                    item.max_qty_per_order.is_none_or(|max| total <= max),
                    "over the limit"
                );
            }
        }
    }
}

/// Every priced line is the request's SKU and quantity with the catalogue's name, class,
/// price and version, and never a special-management drug.
fn check_priced(requests: &[LineRequest], items: &[CatalogItem], priced: &[PricedLine]) {
    assert_eq!(requests.len(), priced.len());
    for (request, line) in requests.iter().zip(priced) {
        let item = items
            .iter()
            .find(|item| item.sku == request.sku)
            .expect("priced an unknown SKU");
        assert_eq!((&line.line.sku, line.line.qty), (&request.sku, request.qty));
        assert_eq!(
            (
                &line.line.name,
                line.line.drug_class,
                line.line.unit_price_fen,
                line.catalog_version
            ),
            (&item.name, item.drug_class, item.price_fen, item.version)
        );
        assert_ne!(line.line.drug_class, DrugClass::Special);
    }
}

fn check_discount(priced: &[PricedLine], discount_fen: i64) {
    let lines: Vec<OrderLine> = priced.iter().map(|p| p.line.clone()).collect();
    let shares = allocate_discount(&lines, discount_fen);
    assert_eq!(shares.len(), lines.len());
    let base: i64 = lines
        .iter()
        .filter(|l| discountable(l.drug_class))
        .map(OrderLine::total_fen)
        .sum();
    let expected = if base <= 0 {
        0
    } else {
        discount_fen.clamp(0, base)
    };
    assert_eq!(
        shares.iter().sum::<i64>(),
        expected,
        "shares of {discount_fen} over {base}"
    );
    for (line, share) in lines.iter().zip(&shares) {
        assert!(
            (0..=line.total_fen()).contains(share),
            "{share} on a line of {}",
            line.total_fen()
        );
        if !discountable(line.drug_class) {
            assert_eq!(*share, 0, "a discount on {:?}", line.drug_class);
        } else if expected > 0 {
            // Proportional, rounded down, at most one fen more for the largest remainders.
            let exact = i128::from(expected) * i128::from(line.total_fen());
            let floor = exact / i128::from(base);
            assert!(
                (floor..=floor + 1).contains(&i128::from(*share)),
                "{share} vs {floor}"
            );
        }
    }
    let accepted = accepted_lines(priced, discount_fen, None);
    assert_eq!(accepted.len(), priced.len());
    for ((accepted, priced), share) in accepted.iter().zip(priced).zip(&shares) {
        assert_eq!(
            (&accepted.line, accepted.catalog_version),
            (&priced.line, priced.catalog_version)
        );
        assert_eq!(accepted.discount_fen, *share);
    }
}
