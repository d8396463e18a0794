// The viewer's vocabulary: risk levels and their colours, the Chinese names of the
// values the API and the tiles use, and which tile layers the level filter applies to.

const LEVELS = ['major', 'significant', 'general', 'low'];
// Index of each level in the summaries' count arrays ([low, general, significant, major]).
const LEVEL_INDEX = { low: 0, general: 1, significant: 2, major: 3 };
const LEVEL_RANK = { major: 3, significant: 2, general: 1, low: 0 };
// Defaults; replaced by the style's metadata["riskmap:level_colors"] when it has them.
let levelColors = { major: '#e60012', significant: '#f39800', general: '#ffe100', low: '#0068b7' };

// Chinese names of the value keys the API and the tiles use.
const ZH = {
  level: { major: '重大风险', significant: '较大风险', general: '一般风险', low: '低风险' },
  levelShort: { major: '重大', significant: '较大', general: '一般', low: '低' },
  levelColour: { major: '红', significant: '橙', general: '黄', low: '蓝' },
  industry: {
    hazchem_production: '危险化学品生产', hazchem_storage: '危险化学品储存', hazchem_trade: '危险化学品经营',
    hazchem_use: '危险化学品使用', dust_explosion: '粉尘涉爆', ammonia_refrigeration: '涉氨制冷',
    confined_space: '有限空间', metallurgy: '冶金', other: '其他',
  },
  pressure: {
    high_a: '高压A', high_b: '高压B', sub_high_a: '次高压A', sub_high_b: '次高压B',
    medium_a: '中压A', medium_b: '中压B', low: '低压',
  },
  appraisal: { a: 'A级', b: 'B级', c: 'C级（局部危房）', d: 'D级（整幢危房）', unknown: '未鉴定' },
  houseUse: { residential: '自住', commercial: '经营', mixed: '自住兼经营' },
  rectification: { not_needed: '无需整治', pending: '待整治', in_progress: '整治中', done: '已整治', unknown: '未知' },
  targetKind: {
    school: '学校', kindergarten: '幼儿园', hospital: '医院', nursing_home: '养老院',
    residential_community: '居民区', residential: '居住', office: '办公场所', market: '商场、市场',
    venue: '影剧院、体育场馆', transport_hub: '交通枢纽', water_source: '饮用水源',
    cultural_relic: '文物保护单位', religious_site: '宗教场所', military: '军事设施', other: '其他',
  },
  targetClass: {
    high_sensitivity: '高敏感防护目标', important: '重要防护目标', general_1: '一般防护目标（一类）',
    general_2: '一般防护目标（二类）', general_3: '一般防护目标（三类）',
  },
  layer: {
    enterprises: '企业', hazard_sources: '重大危险源', gas_pipelines: '燃气管道', houses: '自建房',
    protection_targets: '防护目标', areas: '镇街', risk_grid: '风险分布网格',
    protection_conflicts: '防护距离不足', pipeline_conflicts: '管道占压/间距不足', hidden_hazards: '隐患',
  },
  hiddenStatus: { pending: '待整改', in_progress: '整改中', rectified: '已整改待验收', supervised: '挂牌督办', closed: '已销号' },
  pipelineConflict: { occupation: '违章占压', too_close: '间距不足' },
  siteConflict: {
    hazard_source: '重大危险源防护距离不足', hazchem_enterprise: '危险化学品企业防护距离不足',
    pipeline_occupation: '燃气管道占压（保护范围内）', pipeline_clearance: '燃气管道水平净距不足',
    dangerous_house: '邻近危险自建房',
  },
  use: {
    residential: '居住', school: '学校', kindergarten: '幼儿园', hospital: '医院',
    nursing_home: '养老院', office: '办公', market: '商场',
  },
  grade: { 1: '一级', 2: '二级', 3: '三级', 4: '四级' },
};

// Fields of a site-check conflict, for its popup.
const SITE_FIELDS = [
  ['kind', '冲突类型'], ['layer', '图层'], ['id', '编号'], ['name', '名称'], ['level', '风险等级'],
  ['distance_m', '实际距离(m)'], ['required_m', '要求距离(m)'], ['shortfall_m', '不足(m)'], ['rule', '规则'],
];

// Tile layers whose features carry a four-colour `level` (the level filter applies to them).
const LEVEL_LAYERS = new Set(['risk_grid', 'houses', 'enterprises', 'hazard_sources', 'protection_conflicts', 'pipeline_conflicts']);
// Layers clicked through to when something else is under the pointer.
const BACKDROP_LAYERS = new Set(['areas', 'risk_grid']);
const OVERLAY_PREFIX = 'rm-';

/** Replaces the level colours (from the style's metadata). */
function setLevelColors(colours) {
  levelColors = colours;
}

export { BACKDROP_LAYERS, LEVEL_INDEX, LEVEL_LAYERS, LEVEL_RANK, levelColors, LEVELS, setLevelColors, SITE_FIELDS, ZH };
