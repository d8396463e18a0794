//! The codes of the validation report's issues, one per kind of problem: stable
//! snake_case names that scripts match on (`docs/data-model.md` lists them all).

use std::fmt;

use serde::Serialize;

macro_rules! issue_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )+) => {
        /// What kind of problem an issue is. The snake_case codes are stable: scripts may
        /// match on them. `docs/data-model.md` lists them all.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[non_exhaustive]
        pub enum IssueCode {
            $( $(#[$doc])* #[serde(rename = $code)] $variant, )+
        }

        impl IssueCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [IssueCode] = &[$(IssueCode::$variant),+];

            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str {
                match self { $(IssueCode::$variant => $code,)+ }
            }
        }
    };
}

issue_codes! {
    // File level.
    /// The file could not be read from disk.
    UnreadableFile = "unreadable_file",
    /// The file is malformed (JSON, CSV, workbook or shapefile syntax): its remaining
    /// features cannot be read, so the whole file is skipped.
    BrokenFile = "broken_file",
    /// A file named after a layer has an extension no reader knows.
    UnsupportedFormat = "unsupported_format",
    /// The coordinate reference system given for a file is not recognised.
    UnknownCrs = "unknown_crs",
    /// An encoding label (manifest or `.cpg`) is not recognised; the encoding was detected.
    UnknownEncoding = "unknown_encoding",
    /// A shapefile's `.cpg` names an encoding its .dbf's text is not in (copied from
    /// another layer, or written by a program that did not convert the text): the
    /// encoding its bytes show was read instead.
    CpgMismatch = "cpg_mismatch",
    /// Some bytes are not valid in the file's encoding and were replaced by U+FFFD.
    DecodingErrors = "decoding_errors",
    /// A line of a GBK (or GB18030) text file is UTF-8: it was read as UTF-8.
    MixedEncoding = "mixed_encoding",
    /// A shapefile has no `.prj`: longitude/latitude was assumed.
    CrsAssumed = "crs_assumed",
    /// A table has neither longitude/latitude columns nor a WKT column.
    MissingGeometryColumns = "missing_geometry_columns",
    /// No column of a table's header names a field of the layer (a header garbled by the
    /// wrong encoding, most often): the whole file is skipped.
    UnknownHeader = "unknown_header",
    /// A table has no column for a field every feature of the layer needs.
    MissingRequiredColumn = "missing_required_column",
    /// The header of a table is not on its first line: the lines above it were ignored.
    HeaderNotFirstRow = "header_not_first_row",
    /// A CSV line's number of fields is not the header's: with more, its values are
    /// shifted (an unquoted comma in a name, most often) and the line is skipped; with
    /// fewer, the missing ones at its end were read as empty.
    ColumnCountMismatch = "column_count_mismatch",
    /// A workbook's ledger read from a sheet other than its first (a cover sheet before
    /// it): which was read and which were passed over.
    OtherSheet = "other_sheet",
    /// Two columns of a table fill the same field (the same name twice, or two aliases
    /// of one field): a row's first non-empty one is read.
    DuplicateColumn = "duplicate_column",
    /// A workbook's header of two rows (a group name merged over the columns under it,
    /// `坐标` over `经度 | 纬度`): read as one, each column by its own name or the group's.
    TwoRowHeader = "two_row_header",
    /// Cells merged down a column of a sheet's records (the same town for several
    /// rows): each row of the block takes the value its first cell holds, as it shows.
    MergedCells = "merged_cells",
    /// A workbook's sheet after the one read that also holds a header of the layer (a
    /// sheet per town): not read; its rows are not on the map.
    SheetNotRead = "sheet_not_read",
    /// A shapefile's column whose name the .dbf cut at 10 bytes (`design_pre`) read as
    /// the one field whose name it begins (`design_pressure_mpa`).
    CutColumnName = "cut_column_name",
    /// A row whose first cell begins or ends with 合计, 总计 or 小计: a sum under the
    /// records or a town's subtotal, not a record; passed over.
    TotalsRow = "totals_row",
    /// A row under the table that is a note (填表说明, 制表人, 备注…), not a record;
    /// passed over.
    NoteRow = "note_row",
    /// The sheet named for a workbook does not exist.
    SheetNotFound = "sheet_not_found",
    /// The file holds no feature at all.
    EmptyFile = "empty_file",
    /// One feature of a GeoJSON file cannot be read (a wrong type where an object,
    /// array or number belongs; a `NaN`, `Infinity` or out-of-range number literal):
    /// that feature is skipped, the others are loaded.
    BrokenFeature = "broken_feature",
    /// The file breaks off (cut short, or its syntax broken between features or
    /// records): the features before the break are loaded, the rest cannot be read.
    BrokenTail = "broken_tail",
    // Manifest.
    /// `riskmap.toml` has a key RiskMap does not know (a misspelling, most likely).
    ManifestUnknownKey = "manifest_unknown_key",
    /// `riskmap.toml` names a file or folder that is not in the directory.
    ManifestMissingFile = "manifest_missing_file",
    /// `riskmap.toml` has a value RiskMap cannot use (an unknown layer or field name).
    ManifestInvalidValue = "manifest_invalid_value",
    // Geometry.
    /// The feature has no geometry, or an empty one.
    MissingGeometry = "missing_geometry",
    /// The geometry cannot be read (malformed WKT, a geometry collection, a multipatch).
    InvalidGeometry = "invalid_geometry",
    /// A coordinate is not a finite number.
    InvalidCoordinates = "invalid_coordinates",
    /// A longitude outside [-180, 180] or a latitude outside [-90, 90].
    CoordinatesOutOfRange = "coordinates_out_of_range",
    /// Projected metres in a file declared (or assumed) to be longitude/latitude.
    ProjectedCoordinates = "projected_coordinates",
    /// A coordinate could not be converted from the file's CRS to WGS84.
    ConversionFailed = "conversion_failed",
    /// The geometry type does not fit the layer (a pipeline must be a line, an area a
    /// polygon).
    WrongGeometryType = "wrong_geometry_type",
    /// A polygon ring did not end at its first point: it was closed.
    UnclosedRing = "unclosed_ring",
    /// Consecutive identical points were removed.
    RepeatedPoints = "repeated_points",
    /// A ring with fewer than 4 points (3 distinct): a hole is dropped, a shell drops
    /// its polygon.
    DegenerateRing = "degenerate_ring",
    /// A line with fewer than 2 distinct points.
    DegenerateLine = "degenerate_line",
    /// A polygon crosses itself: it was rebuilt as a valid (multi)polygon.
    SelfIntersection = "self_intersection",
    /// A polygon is otherwise invalid (a hole outside its shell, overlapping parts): it
    /// was rebuilt as a valid (multi)polygon.
    InvalidPolygon = "invalid_polygon",
    /// Nothing with an area is left of a polygon once repaired.
    DegeneratePolygon = "degenerate_polygon",
    // Attributes.
    /// A second feature with the same id in the layer: the later one is skipped.
    DuplicateId = "duplicate_id",
    /// A field every feature needs is empty (an enterprise's name, an inventory line's
    /// tonnes).
    MissingRequiredField = "missing_required_field",
    /// A recommended field is empty and a default was used (a name taken from the id).
    MissingField = "missing_field",
    /// A value is not one of the field's vocabulary (industry, pressure class, use, …).
    UnknownValue = "unknown_value",
    /// A number field holds something that is not a number.
    InvalidNumber = "invalid_number",
    /// A number field that cannot be negative holds a negative number.
    NegativeNumber = "negative_number",
    /// A value is out of its plausible range or malformed (a year, a QRA table).
    InvalidValue = "invalid_value",
    /// A 统一社会信用代码 is not 18 characters or fails its check character.
    InvalidCreditCode = "invalid_credit_code",
    /// A design pressure above 4.0 MPa: a transmission pipeline, outside urban gas.
    PressureOutOfRange = "pressure_out_of_range",
    /// The pressure class given disagrees with the design pressure given.
    PressureClassMismatch = "pressure_class_mismatch",
    /// An inventory line that cannot be read.
    InvalidInventory = "invalid_inventory",
    /// An inventory substance that the substance table does not know and that has no
    /// category: the line is excluded.
    UnknownSubstance = "unknown_substance",
    /// An inventory substance known to be outside GB 18218-2018 (sulfuric acid, a
    /// corrosive): the line is kept and shown, and does not count towards S or R.
    OutsideStandard = "outside_standard",
    /// An inventory category code that the category table does not know.
    UnknownCategory = "unknown_category",
    /// A CAS number whose check digit is wrong.
    InvalidCas = "invalid_cas",
    /// A hazard source's enterprise matches no enterprise id, name or credit code.
    UnknownEnterprise = "unknown_enterprise",
    /// A date field holds something that is not a day of the calendar.
    InvalidDate = "invalid_date",
    /// A hidden hazard names a feature that no layer holds (or several do): kept at its
    /// own location when it has one, skipped otherwise.
    UnknownLinkedFeature = "unknown_linked_feature",
    /// A hidden hazard's status disagrees with its dates and names (销号 without a
    /// rectification and an acceptance, 挂牌督办 of a general one): the status is
    /// taken back to the last step its record supports.
    LifecycleInconsistent = "lifecycle_inconsistent",
    /// A hidden hazard's dates are out of order (rectified before it was found, closed
    /// before it was rectified, a deadline before it was found).
    DatesOutOfOrder = "dates_out_of_order",
    /// A major hidden hazard lacks some of the "five in place" (五落实: responsibility,
    /// measures, funds, deadline, contingency plan).
    FiveInPlaceIncomplete = "five_in_place_incomplete",
    // Across layers.
    /// The feature lies at 0,0 ("null island"), where a missing or zeroed coordinate lands.
    NullIsland = "null_island",
    /// The feature lies more than 50 km outside every area or, without areas, far from the
    /// bulk of the data: a coordinate typed wrong, swapped or in another CRS, most likely.
    FarFromData = "far_from_data",
    // Edits.
    /// An edit names a property that is no field of its layer (a misspelt or unknown
    /// name): ignored, as a ledger's other columns are.
    UnknownProperty = "unknown_property",
}

impl fmt::Display for IssueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
