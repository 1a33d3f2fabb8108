//! Exports for spreadsheets: the dashboard and the supervision item list as CSV (UTF-8
//! with a byte-order mark, CRLF, RFC 4180 quoting) or XLSX (`rust_xlsxwriter`), with
//! Chinese headers. Text cells that a spreadsheet would read as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or CR) are prefixed with `'` in CSV; XLSX stores them as text.
//!
//! The same visibility as the underlying views applies: an export holds exactly what
//! the caller may read.

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_xlsxwriter::{Format, Workbook};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::dashboard::{self, Dashboard};
use super::supervision::{self, ItemCategory, ItemFilter, ItemStatus, ItemView, Severity};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};

/// Most rows an item export holds.
pub const MAX_EXPORT_ROWS: u64 = 10_000;

/// A file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Comma-separated values, UTF-8 with BOM.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl ExportFormat {
    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// An export, ready to send.
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// Suggested file name (ASCII).
    pub file_name: String,
    /// Media type.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A fraction (e.g. a rate).
    Num(f64),
    /// Nothing.
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

/// A sheet: a name, a header row and data rows.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Sheet name (XLSX).
    pub name: String,
    /// Column headers.
    pub headers: Vec<&'static str>,
    /// Data rows.
    pub rows: Vec<Vec<Cell>>,
}

/// One CSV field: RFC 4180 quoting, and text a spreadsheet would read as a formula
/// prefixed with `'`.
pub(crate) fn csv_field(cell: &Cell) -> String {
    let text = match cell {
        Cell::Text(s) => {
            if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{s}")
            } else {
                s.clone()
            }
        }
        Cell::Int(n) => n.to_string(),
        Cell::Num(x) => format!("{x:.4}"),
        Cell::Empty => String::new(),
    };
    if text.contains([',', '"', '\r', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// The sheet as CSV: BOM, header, rows, CRLF line ends.
pub fn to_csv(sheet: &Sheet) -> Vec<u8> {
    let mut out = String::from('\u{feff}');
    let header: Vec<Cell> = sheet.headers.iter().map(|h| Cell::from(*h)).collect();
    for row in std::iter::once(&header).chain(sheet.rows.iter()) {
        out.push_str(&row.iter().map(csv_field).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// The sheet as an XLSX workbook with a bold, frozen header row.
pub fn to_xlsx(sheet: &Sheet) -> AppResult<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(&sheet.name).map_err(AppError::internal)?;
    let bold = Format::new().set_bold();
    for (c, h) in sheet.headers.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *h, &bold).map_err(AppError::internal)?;
        ws.set_column_width(c, 16).map_err(AppError::internal)?;
    }
    ws.set_freeze_panes(1, 0).map_err(AppError::internal)?;
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => ws.write_string(r, c, s).map(|_| ()),
                Cell::Int(n) => ws.write_number(r, c, *n as f64).map(|_| ()),
                Cell::Num(x) => ws.write_number(r, c, *x).map(|_| ()),
                Cell::Empty => Ok(()),
            }
            .map_err(AppError::internal)?;
        }
    }
    wb.save_to_buffer().map_err(AppError::internal)
}

fn render(sheet: &Sheet, base_name: &str, format: ExportFormat) -> AppResult<ExportFile> {
    let bytes = match format {
        ExportFormat::Csv => to_csv(sheet),
        ExportFormat::Xlsx => to_xlsx(sheet)?,
    };
    Ok(ExportFile {
        file_name: format!("{base_name}.{}", format.extension()),
        content_type: format.content_type(),
        bytes,
    })
}

/// Chinese label of a category.
pub fn category_label(c: ItemCategory) -> &'static str {
    match c {
        ItemCategory::PoliticalBuilding => "政治建设",
        ItemCategory::TheoryStudy => "理论学习",
        ItemCategory::OrganizationBuilding => "组织建设",
        ItemCategory::InnovationResponsibility => "科技创新责任落实",
        ItemCategory::Integrity => "党风廉政建设",
        ItemCategory::WorkStyle => "作风建设",
        ItemCategory::Other => "其他",
    }
}

/// Chinese label of a severity.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Low => "一般",
        Severity::Medium => "较重",
        Severity::High => "严重",
    }
}

/// Chinese label of an item status.
pub fn status_label(s: ItemStatus) -> &'static str {
    match s {
        ItemStatus::Open => "待整改",
        ItemStatus::Rectifying => "整改中",
        ItemStatus::Submitted => "已提交待验收",
        ItemStatus::Verified => "已销号",
    }
}

/// Headers of the item export.
pub const ITEM_HEADERS: [&str; 13] = [
    "问题编号",
    "问题概述",
    "责任组织",
    "问题类别",
    "严重程度",
    "责任人",
    "整改时限",
    "状态",
    "是否逾期",
    "发现日期",
    "销号日期",
    "整改方案",
    "问题描述",
];

fn date(d: Option<NaiveDate>) -> Cell {
    d.map_or(Cell::Empty, |d| Cell::Text(d.to_string()))
}

fn item_rows(items: &[ItemView], orgs: &HashMap<Uuid, String>, people: &HashMap<Uuid, String>) -> Vec<Vec<Cell>> {
    items
        .iter()
        .map(|i| {
            vec![
                Cell::Text(i.id.to_string()),
                Cell::Text(i.title.clone()),
                Cell::Text(orgs.get(&i.organization_id).cloned().unwrap_or_default()),
                category_label(i.category).into(),
                severity_label(i.severity).into(),
                Cell::Text(people.get(&i.responsible_person_id).cloned().unwrap_or_default()),
                date(Some(i.due_on)),
                status_label(i.status).into(),
                (if i.overdue { "是" } else { "否" }).into(),
                date(Some(i.opened_on)),
                date(i.closed_on),
                i.rectification_plan.clone().map_or(Cell::Empty, Cell::Text),
                i.description.clone().map_or(Cell::Empty, Cell::Text),
            ]
        })
        .collect()
}

/// The supervision items the caller may read, filtered, as CSV or XLSX (at most
/// [`MAX_EXPORT_ROWS`] rows).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn items<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    today: NaiveDate,
    filter: &ItemFilter,
    format: ExportFormat,
) -> AppResult<ExportFile> {
    let items = supervision::all_items(db, actor, today, filter, MAX_EXPORT_ROWS).await?;
    let org_ids: Vec<Uuid> = items.iter().map(|i| *i.organization_id).collect();
    let person_ids: Vec<Uuid> = items.iter().map(|i| *i.responsible_person_id).collect();
    let orgs: HashMap<Uuid, String> =
        super::organizations::by_ids(db, actor, &org_ids).await?.into_iter().map(|o| (*o.id, o.name)).collect();
    let people: HashMap<Uuid, String> =
        super::people::by_ids(db, actor, &person_ids).await?.into_iter().map(|p| (*p.id, p.name)).collect();
    let sheet =
        Sheet {
            name: "巡察整改问题".into(), headers: ITEM_HEADERS.to_vec(), rows: item_rows(&items, &orgs, &people)
        };
    render(&sheet, &format!("supervision-items-{today}"), format)
}

/// Headers of the dashboard export.
pub const DASHBOARD_HEADERS: [&str; 3] = ["类别", "指标", "数值"];

/// The dashboard as rows of (category, figure, value).
pub fn dashboard_rows(d: &Dashboard) -> Vec<Vec<Cell>> {
    let row = |cat: &str, name: &str, v: Cell| vec![Cell::from(cat), Cell::from(name), v];
    let s = &d.study;
    let m = &d.measures;
    let v = &d.supervision;
    let i = &d.innovation;
    let fen = |f: i64| Cell::Num(f as f64 / 100.0);
    vec![
        row("统计范围", "组织", Cell::Text(d.organization_name.clone())),
        row("统计范围", "起始日期", date(Some(d.from))),
        row("统计范围", "截止日期", date(Some(d.to))),
        row("第一议题学习", "召开学习会议次数", s.sessions_held.into()),
        row("第一议题学习", "其中第一议题学习次数", s.first_topic_sessions_held.into()),
        row("第一议题学习", "应参学人次", s.roster.into()),
        row("第一议题学习", "实到人次", s.attended.into()),
        row("第一议题学习", "请假人次", s.on_leave.into()),
        row("第一议题学习", "出勤率", s.attendance_rate.map_or(Cell::Empty, Cell::Num)),
        row("贯彻落实措施", "到期措施数", m.due.into()),
        row("贯彻落实措施", "已完成", m.done.into()),
        row("贯彻落实措施", "按期完成", m.done_on_time.into()),
        row("贯彻落实措施", "逾期完成", m.done_late.into()),
        row("贯彻落实措施", "逾期未完成", m.overdue.into()),
        row("贯彻落实措施", "未到期", m.open_not_due.into()),
        row("贯彻落实措施", "已取消", m.cancelled.into()),
        row("巡察整改", "发现问题数", v.total.into()),
        row("巡察整改", "待整改", v.status_open.into()),
        row("巡察整改", "整改中", v.status_rectifying.into()),
        row("巡察整改", "已提交待验收", v.status_submitted.into()),
        row("巡察整改", "已销号", v.status_verified.into()),
        row("巡察整改", "逾期未销号", v.overdue.into()),
        row("巡察整改", "按期销号", v.closed_on_time.into()),
        row("巡察整改", "逾期销号", v.closed_late.into()),
        row("科技创新", "统计年度", i64::from(i.year).into()),
        row("科技创新", "参与集团重大项目数", i.projects.group_major.into()),
        row("科技创新", "在研项目数", i.projects.total.into()),
        row("科技创新", "获科技奖励数", i.awards.total.into()),
        row("科技创新", "其中国家级", i.awards.national.into()),
        row("科技创新", "其中省部级", i.awards.provincial.into()),
        row("科技创新", "其中行业级", i.awards.industry.into()),
        row("科技创新", "拥有知识产权数", i.intellectual_property.total.into()),
        row("科技创新", "其中国际专利", i.intellectual_property.international_patents.into()),
        row("科技创新", "其中发明专利", i.intellectual_property.invention_patents.into()),
        row("科技创新", "主持或参与标准数", i.standards.total.into()),
        row("科技创新", "其中国家标准", i.standards.national.into()),
        row("科技创新", "其中行业标准", i.standards.industry.into()),
        row("科技创新", "五小创新成果数", i.achievements.submitted.into()),
        row("科技创新", "五小创新认定数", i.achievements.recognised.into()),
        row("科技创新", "五小创新经济效益（元）", fen(i.achievements.benefit_fen)),
        row("科技创新", "研发经费投入（元）", fen(i.rd_spending.amount_fen)),
        row("科技创新", "上年同期研发经费（元）", fen(i.rd_spending.previous_amount_fen)),
        row(
            "科技创新",
            "研发经费同比增长（%）",
            i.rd_spending.growth_basis_points.map_or(Cell::Empty, |b| Cell::Num(b as f64 / 100.0)),
        ),
        row("科技创新", "开展活动次数", i.activities.total.into()),
        row("科技创新", "获奖人数", i.award_winner_count.into()),
    ]
}

/// The dashboard as CSV or XLSX.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn dashboard<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    tz: Tz,
    today: NaiveDate,
    organization_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    format: ExportFormat,
) -> AppResult<ExportFile> {
    let d = dashboard::dashboard(db, actor, tz, today, organization_id, from, to).await?;
    let sheet = Sheet { name: "统计看板".into(), headers: DASHBOARD_HEADERS.to_vec(), rows: dashboard_rows(&d) };
    render(&sheet, &format!("dashboard-{from}-{to}"), format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        let sheet = Sheet {
            name: "t".into(),
            headers: vec!["甲", "乙"],
            rows: vec![vec![Cell::from("a,b"), Cell::from("=1+1")], vec![Cell::from("say \"hi\""), Cell::Int(3)]],
        };
        let text = String::from_utf8(to_csv(&sheet)).unwrap();
        assert_eq!(text, "\u{feff}甲,乙\r\n\"a,b\",'=1+1\r\n\"say \"\"hi\"\"\",3\r\n");
    }

    #[test]
    fn xlsx_is_a_zip() {
        let sheet = Sheet { name: "统计".into(), headers: vec!["甲"], rows: vec![vec![Cell::Int(1)]] };
        let bytes = to_xlsx(&sheet).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
