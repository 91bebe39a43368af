//! How a coupon's discount is shared among an order's lines (`allocate_discount`): seeded
//! property tests over random carts, and the cases a reader checks by hand. The fuzz target
//! `catalog_pricing` asserts the same properties on inputs libFuzzer finds.

use pharmedge::domain::coupon::discountable;
use pharmedge::domain::order::allocate_discount;
use pharmedge::domain::order_lines::{DrugClass, OrderLine, MAX_QTY, MAX_UNIT_PRICE_FEN};

mod common;
use common::ALL_CLASSES as CLASSES;

/// SplitMix64: a fixed seed gives the same carts on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn line(class: DrugClass, qty: i64, unit_price_fen: i64) -> OrderLine {
    OrderLine {
        sku: format!("sku-{unit_price_fen}"),
        name: "药".into(),
        qty,
        unit_price_fen,
        drug_class: class,
    }
}

fn random_cart(rng: &mut Rng) -> Vec<OrderLine> {
    (0..1 + rng.below(12))
        .map(|_| {
            let class = CLASSES[rng.below(7) as usize];
            let qty = match rng.below(4) {
                0 => MAX_QTY,
                _ => 1 + rng.below(5) as i64,
            };
            let price = match rng.below(6) {
                0 => 0,
                1 => MAX_UNIT_PRICE_FEN,
                2 => 1 + rng.below(9) as i64,
                _ => rng.below(50_000) as i64,
            };
            line(class, qty, price)
        })
        .collect()
}

fn random_discount(rng: &mut Rng, base: i64) -> i64 {
    match rng.below(6) {
        0 => 0,
        1 => -(rng.below(1_000) as i64),
        2 => base + rng.below(1_000) as i64,
        3 => i64::MAX - rng.below(10) as i64,
        _ => rng.below(base.max(1) as u64 + 1) as i64,
    }
}

/// What must hold for any cart and discount; returns the shares.
fn check(lines: &[OrderLine], discount_fen: i64) -> Vec<i64> {
    let shares = allocate_discount(lines, discount_fen);
    let base: i64 = lines
        .iter()
        .filter(|l| discountable(l.drug_class))
        .map(OrderLine::total_fen)
        .sum();
    let applied = if base <= 0 {
        0
    } else {
        discount_fen.clamp(0, base)
    };
    let context = format!("{discount_fen} over {lines:?}: {shares:?}");
    assert_eq!(shares.len(), lines.len(), "{context}");
    assert_eq!(shares.iter().sum::<i64>(), applied, "{context}");
    for (line, share) in lines.iter().zip(&shares) {
        assert!(
            (0..=line.total_fen()).contains(share),
            "past the line: {context}"
        );
        if !discountable(line.drug_class) {
            assert_eq!(*share, 0, "Rx and special are never discounted: {context}");
        } else if applied > 0 {
            let exact = i128::from(applied) * i128::from(line.total_fen());
            let floor = exact / i128::from(base);
            let share = i128::from(*share);
            assert!(
                share == floor || share == floor + 1,
                "not proportional: {context}"
            );
        }
    }
    shares
}

#[test]
fn random_carts_share_the_discount_exactly_in_proportion_and_never_on_rx() {
    let mut rng = Rng(20_261_124);
    for _ in 0..20_000 {
        let lines = random_cart(&mut rng);
        let base: i64 = lines.iter().map(OrderLine::total_fen).sum();
        let discount = random_discount(&mut rng, base);
        check(&lines, discount);
    }
}

#[test]
fn the_largest_remainders_get_the_fen_left_over_earliest_line_first() {
    let otc = |price| line(DrugClass::OtcB, 1, price);
    // 100 over three equal lines: 33 each and the fen left to the first.
    assert_eq!(
        check(&[otc(500), otc(500), otc(500)], 100),
        vec![34, 33, 33]
    );
    // 10 over 1:2:3 (of 600): 1.67, 3.33, 5 -> 1, 3, 5 and one fen to the largest remainder.
    assert_eq!(check(&[otc(100), otc(200), otc(300)], 10), vec![2, 3, 5]);
    // The same lines in another order get the same shares, line for line.
    assert_eq!(check(&[otc(300), otc(100), otc(200)], 10), vec![5, 2, 3]);
}

#[test]
fn rx_and_special_lines_take_nothing_and_do_not_count_towards_the_shares() {
    let lines = [
        line(DrugClass::Rx, 1, 3_500),
        line(DrugClass::OtcB, 2, 1_990),
        line(DrugClass::Special, 1, 2_000),
        line(DrugClass::Device, 1, 5_980),
    ];
    // Eligible: 3,980 + 5,980 = 9,960; 2,000 off shares 799.2 / 1,200.8.
    assert_eq!(check(&lines, 2_000), vec![0, 799, 0, 1_201]);
    // Only Rx: nothing is shared, whatever the discount.
    let rx = [line(DrugClass::Rx, 3, 3_500)];
    assert_eq!(check(&rx, 1_000), vec![0]);
}

#[test]
fn a_discount_over_the_eligible_total_or_below_zero_is_bounded() {
    let lines = [line(DrugClass::OtcA, 1, 300), line(DrugClass::Health, 1, 0)];
    assert_eq!(check(&lines, 1_000), vec![300, 0]);
    assert_eq!(check(&lines, i64::MAX), vec![300, 0]);
    assert_eq!(check(&lines, -5), vec![0, 0]);
    assert_eq!(check(&lines, 0), vec![0, 0]);
    // The largest cart: 100 lines of 999 at the top price, all shared without overflow.
    let big: Vec<_> = (0..100)
        .map(|_| line(DrugClass::Other, MAX_QTY, MAX_UNIT_PRICE_FEN))
        .collect();
    let shares = check(&big, i64::MAX);
    assert!(shares
        .iter()
        .all(|share| *share == MAX_QTY * MAX_UNIT_PRICE_FEN));
}
