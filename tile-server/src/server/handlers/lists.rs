//! `GET /api/lists/{risk|hidden}.{xlsx|csv}?area=&encoding=&as_of=`: the two lists
//! (一图两单) of the served generation, for the viewer's download: the risk list (风险清单)
//! and the hidden-hazard list (隐患清单), for the district or one town, as a workbook or a
//! CSV file (UTF-8 with a byte-order mark, or `encoding=gbk`), on the analysis's day or
//! on `as_of` (the day's data analysed whole; for a store, its ledgers of that day).

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use riskmap_core::analysis::hidden_trend;
use riskmap_core::lists::{self, CsvEncoding, ListError};
use serde::Deserialize;

use super::AppStateRef;
use crate::server::dated::{analysed_on, parse_as_of};
use crate::server::error::AppError;

/// The query of `/api/lists/…`.
#[derive(Debug, Deserialize, Default)]
pub(in crate::server) struct ListQuery {
    area: Option<String>,
    encoding: Option<String>,
    as_of: Option<String>,
}

/// `filename*` of a Content-Disposition (RFC 6266, RFC 5987): the Chinese name,
/// percent-encoded as UTF-8.
fn attachment(name: &str) -> String {
    let enc: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    // (a client that reads only the plain name still gets the file's kind)
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let plain = if ext.bytes().all(|b| b.is_ascii_alphanumeric()) && !ext.is_empty() {
        format!("list.{ext}")
    } else {
        "list".to_string()
    };
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{enc}")
}

/// One of the two lists of the served generation.
pub(in crate::server) async fn list(
    State(state): State<AppStateRef>,
    UrlPath(file): UrlPath<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (which, ext) = file.rsplit_once('.').ok_or_else(|| {
        AppError::not_found(format!(
            "{file}: ask for risk.xlsx, risk.csv, hidden.xlsx or hidden.csv"
        ))
    })?;
    if !matches!(which, "risk" | "hidden") || !matches!(ext, "xlsx" | "csv") {
        return Err(AppError::not_found(format!(
            "{file}: ask for risk.xlsx, risk.csv, hidden.xlsx or hidden.csv"
        )));
    }
    let encoding = match q.encoding.as_deref() {
        None | Some("utf-8" | "utf8") => CsvEncoding::Utf8Bom,
        Some("gbk") => CsvEncoding::Gbk,
        Some(e) => {
            return Err(AppError::bad_request(format!(
                "encoding={e}: utf-8 (the default) or gbk"
            )));
        }
    };
    let day = parse_as_of(q.as_of.as_deref())?;
    let snap = state.snapshot();
    let left_out = snap.report.left_out_zh();
    let on = analysed_on(&state, snap, day).await?;
    let (which, ext) = (which.to_string(), ext.to_string());
    let made = tokio::task::spawn_blocking(move || {
        let (ds, a) = (on.dataset(), on.analysis());
        let area = q.area.as_deref();
        let mut l = if which == "risk" {
            lists::risk_list(ds, a, area)?
        } else {
            lists::hidden_list(ds, a, area)?
        };
        l.note_first(&left_out);
        let name = format!("{}.{ext}", l.title);
        let bytes = if ext == "xlsx" {
            lists::xlsx_bytes(&l, Path::new(&name))?
        } else {
            lists::csv_bytes(&l, Path::new(&name), encoding)?
        };
        Ok::<_, ListError>((name, bytes))
    })
    .await?;
    let (name, bytes) = match made {
        Ok(m) => m,
        Err(e @ ListError::UnknownArea { .. }) => return Err(AppError::not_found(e.to_string())),
        Err(e @ ListError::NotGbk { .. }) => return Err(AppError::bad_request(e.to_string())),
        Err(e) => return Err(AppError::Internal(e.to_string())),
    };
    let ctype = if name.ends_with(".xlsx") {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else if matches!(encoding, CsvEncoding::Gbk) {
        "text/csv; charset=gbk"
    } else {
        "text/csv; charset=utf-8"
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_string()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The query of the report.
#[derive(Debug, Deserialize, Default)]
pub(in crate::server) struct ReportQuery {
    area: Option<String>,
    as_of: Option<String>,
}

/// `GET /api/report.html?area=&as_of=`: the report of a town or the district on the
/// served generation's day or on `as_of`, one HTML page set for A4 (the viewer's 打印报告
/// opens it to print).
pub(in crate::server) async fn report(
    State(state): State<AppStateRef>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let day = parse_as_of(q.as_of.as_deref())?;
    let snap = state.snapshot();
    let left_out = snap.report.left_out_zh();
    let on = analysed_on(&state, Arc::clone(&snap), day).await?;
    // On a store's server, the levels at last month's end as the store held them.
    let report_day = on
        .analysis()
        .as_of
        .unwrap_or_else(riskmap_core::model::Day::today);
    let ends = state.month_ends.get(&state, &snap, 2, report_day).await?;
    let made = tokio::task::spawn_blocking(move || {
        let area = q.area.as_deref().map(str::trim).filter(|a| !a.is_empty());
        let ds = on.dataset();
        let area_id = area.and_then(|n| Some(ds.areas.get(ds.area_position(n)?)?.id.as_str()));
        // A folder without a trail keeps no history; nothing but hidden hazards changed
        // since last month: the day's ledgers were last month's too.
        let computed;
        let months = match ends.as_deref() {
            Some(e) => match &e.levels {
                Some(l) => Some(l.as_slice()),
                None if e.left_out == 0 => {
                    let spans = hidden_trend::month_spans(2, report_day);
                    computed = hidden_trend::levels_at_ends(ds, on.analysis(), on.rules(), &spans);
                    Some(computed.as_slice())
                }
                None => None,
            },
            None => None,
        };
        let levels = months.and_then(|l| match l {
            [before, now] => Some([before.of_id(area_id), now.of_id(area_id)]),
            _ => None,
        });
        riskmap_core::report::area_report_with_levels(
            ds,
            on.analysis(),
            on.rules(),
            area,
            riskmap_core::model::Day::today(),
            levels,
            &left_out,
        )
    })
    .await?;
    let html = match made {
        Ok(h) => h,
        Err(riskmap_core::report::ReportError::List(e @ ListError::UnknownArea { .. })) => {
            return Err(AppError::not_found(e.to_string()));
        }
        Err(e) => return Err(AppError::Internal(e.to_string())),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response())
}
