//! `ps::html!` (pulse-macros' own) beside `maud::html!` on the same templates, in one run:
//! `cargo bench --bench html`. Both expand to pushes onto one `String`; the ratio of the
//! `pulse_*` to the `maud_*` figures is the cost of owning the macro (expected: none).

use std::hint::black_box;

use pulse as ps;

fn main() {
    let rows = rows(10);
    assert_eq!(
        pulse_table("<Users>", &rows).into_string(),
        maud_table("<Users>", &rows).into_string(),
        "both macros render the same HTML"
    );
    divan::main();
}

struct Row {
    id: u32,
    name: String,
    admin: bool,
}

fn rows(n: u32) -> Vec<Row> {
    (0..n)
        .map(|id| Row {
            id,
            name: format!("user <{id}> & co"),
            admin: id % 3 == 0,
        })
        .collect()
}

fn pulse_table(title: &str, rows: &[Row]) -> ps::Markup {
    ps::html! {
        h1.title { (title) }
        table #users {
            @for row in rows {
                tr.admin[row.admin] data-id=(row.id) {
                    td { (row.id) }
                    td { (row.name) }
                    td { @if row.admin { b { "admin" } } @else { "member" } }
                }
            }
        }
    }
}

fn maud_table(title: &str, rows: &[Row]) -> maud::Markup {
    maud::html! {
        h1.title { (title) }
        table #users {
            @for row in rows {
                tr.admin[row.admin] data-id=(row.id) {
                    td { (row.id) }
                    td { (row.name) }
                    td { @if row.admin { b { "admin" } } @else { "member" } }
                }
            }
        }
    }
}

const SIZES: [u32; 3] = [1, 10, 100];

#[divan::bench(args = SIZES)]
fn pulse_rows(bencher: divan::Bencher<'_, '_>, n: u32) {
    let rows = rows(n);
    bencher.bench(|| pulse_table(black_box("<Users>"), black_box(&rows)));
}

#[divan::bench(args = SIZES)]
fn maud_rows(bencher: divan::Bencher<'_, '_>, n: u32) {
    let rows = rows(n);
    bencher.bench(|| maud_table(black_box("<Users>"), black_box(&rows)));
}
