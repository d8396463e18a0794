//! The validation report's words in Chinese, for the page a bureau's data clerk reads:
//! what each kind of issue is and what happened to the data.

use super::report::{IssueCode, Severity};

impl Severity {
    /// What happened to the data, in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            Severity::Skipped => "已跳过",
            Severity::Repaired => "已修复",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

impl IssueCode {
    /// What kind of problem this is, in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            IssueCode::UnreadableFile => "文件无法读取",
            IssueCode::BrokenFile => "文件格式损坏，整个文件未读入",
            IssueCode::UnsupportedFormat => "不支持的文件格式",
            IssueCode::UnknownCrs => "无法识别的坐标系",
            IssueCode::UnknownEncoding => "无法识别的字符编码（已自动检测）",
            IssueCode::DecodingErrors => "部分字节不符合文件编码，已替换为 �",
            IssueCode::MixedEncoding => "GBK 文件中的某行是 UTF-8 编码，已按 UTF-8 读入",
            IssueCode::CrsAssumed => "文件未声明坐标系（如 Shapefile 缺少 .prj），按经纬度读入",
            IssueCode::MissingGeometryColumns => "表格缺少经纬度列或 WKT 列",
            IssueCode::MissingRequiredColumn => "表格缺少必填列",
            IssueCode::UnknownHeader => "表头没有一列可以识别（文件编码可能不对），整个文件未读入",
            IssueCode::HeaderNotFirstRow => "表头不在第一行，上方各行已忽略",
            IssueCode::ColumnCountMismatch => "某行的列数与表头不符",
            IssueCode::OtherSheet => {
                "台账不在工作簿的第一个工作表：已读取含本图层表头的工作表，其前各表已跳过"
            }
            IssueCode::DuplicateColumn => {
                "多列对应同一字段（如隐藏列中的旧值），按每行第一个非空的列读取"
            }
            IssueCode::TwoRowHeader => {
                "表头占两行（合并单元格的分组名称下各有列名），已合并为一行读取"
            }
            IssueCode::MergedCells => "记录中有纵向合并的单元格，合并区域内各行均按其显示的值读取",
            IssueCode::SheetNotRead => {
                "工作簿中另有工作表也含本图层表头，未读取：其中记录不在地图上（请每个工作表另存为一个文件，放入该图层的文件夹）"
            }
            IssueCode::CpgMismatch => {
                "Shapefile 的 .cpg 声明的编码与 .dbf 的内容不符，已按内容识别的编码读取"
            }
            IssueCode::CutColumnName => {
                "Shapefile 的列名被截为 10 个字节，已按其开头识别为对应字段（如不对，请在 riskmap.toml 中指定）"
            }
            IssueCode::TotalsRow => "合计行，不是一条记录，未读入",
            IssueCode::NoteRow => "表格下方的说明行，不是一条记录，未读入",
            IssueCode::SheetNotFound => "找不到指定的工作表",
            IssueCode::EmptyFile => "文件中没有要素",
            IssueCode::BrokenFeature => "要素无法读取，已跳过",
            IssueCode::BrokenTail => "文件在中途损坏，其后的要素未读入",
            IssueCode::ManifestUnknownKey => "riskmap.toml 中有无法识别的键",
            IssueCode::ManifestMissingFile => "riskmap.toml 指定的文件不存在",
            IssueCode::ManifestInvalidValue => "riskmap.toml 中的取值无法使用",
            IssueCode::MissingGeometry => "缺少几何图形",
            IssueCode::InvalidGeometry => "几何图形无法读取",
            IssueCode::InvalidCoordinates => "坐标不是有效数字",
            IssueCode::CoordinatesOutOfRange => "经纬度超出范围",
            IssueCode::ProjectedCoordinates => "声明为经纬度的文件中出现投影坐标（米）",
            IssueCode::ConversionFailed => "坐标转换失败",
            IssueCode::WrongGeometryType => "几何类型与图层不符",
            IssueCode::UnclosedRing => "面的边界未闭合，已闭合",
            IssueCode::RepeatedPoints => "连续重复的点已删除",
            IssueCode::DegenerateRing => "退化的环已删除",
            IssueCode::DegenerateLine => "线的有效点少于 2 个",
            IssueCode::SelfIntersection => "面自相交，已重建为有效面",
            IssueCode::InvalidPolygon => "无效的面，已重建为有效面",
            IssueCode::DegeneratePolygon => "修复后面积为零",
            IssueCode::DuplicateId => "编号重复，后一条已跳过",
            IssueCode::MissingRequiredField => "必填字段为空",
            IssueCode::MissingField => "建议填写的字段为空，已用默认值",
            IssueCode::UnknownValue => "取值不在字段的代码表中",
            IssueCode::InvalidNumber => "数值字段不是数字",
            IssueCode::NegativeNumber => "不应为负的数值为负",
            IssueCode::InvalidValue => "取值超出合理范围或格式错误",
            IssueCode::InvalidCreditCode => "统一社会信用代码有误（长度或校验位）",
            IssueCode::PressureOutOfRange => "设计压力超过 4.0 MPa，属长输管道而非城镇燃气",
            IssueCode::PressureClassMismatch => "压力级制与设计压力不符",
            IssueCode::InvalidInventory => "物质清单的某行无法读取",
            IssueCode::UnknownSubstance => "未知物质，未计入 S、R",
            IssueCode::OutsideStandard => "物质不在 GB 18218-2018 范围内，不计入 S、R",
            IssueCode::UnknownCategory => "未知的危险性类别代码",
            IssueCode::InvalidCas => "CAS 号校验位错误",
            IssueCode::UnknownEnterprise => "所属企业找不到（编号、名称或信用代码）",
            IssueCode::InvalidDate => "日期无效",
            IssueCode::UnknownLinkedFeature => "关联对象不存在",
            IssueCode::LifecycleInconsistent => "隐患整改记录前后不一致，已退回到有依据的环节",
            IssueCode::DatesOutOfOrder => "日期先后顺序不合理",
            IssueCode::UnknownProperty => "编辑中的属性名不是该图层的字段",
            IssueCode::FiveInPlaceIncomplete => {
                "重大事故隐患“五落实”不全（责任、措施、资金、时限、预案）"
            }
            IssueCode::NullIsland => "要素位于经纬度 0,0（坐标缺失或为零）",
            IssueCode::FarFromData => {
                "要素远离所有镇街或其余数据（坐标可能输错、颠倒或坐标系不对）"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_chinese_name() {
        let mut names: Vec<&str> = IssueCode::ALL.iter().map(|c| c.name_zh()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "two codes share a Chinese name");
    }
}
