// The current view as an image a reviewer can attach or print: the map as drawn, with a
// title, the four-colour legend, a scale bar, a north arrow, the data's day and the time
// it was made. The map's WebGL canvas is copied inside a render (it is cleared after each
// frame), so the picture is the one on screen, not a blank canvas.

import { toast } from './messages.js';
import { state } from './state.js';
import { $ } from './util.js';
import { levelColors, LEVELS, ZH } from './vocab.js';

const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

/** A copy of the map canvas as it is drawn now. */
function mapSnapshot() {
  const map = state.map;
  return new Promise((resolve) => {
    map.once('render', () => {
      const src = map.getCanvas();
      const c = document.createElement('canvas');
      c.width = src.width;
      c.height = src.height;
      c.getContext('2d').drawImage(src, 0, 0);
      resolve(c);
    });
    map.triggerRepaint();
  });
}

/** Metres per CSS pixel at the map's centre (Web Mercator, 512 px tiles). */
function metresPerPixel(map) {
  const lat = map.getCenter().lat * Math.PI / 180;
  return (2 * Math.PI * 6378137 * Math.cos(lat)) / (512 * 2 ** map.getZoom());
}

/** The longest 1, 2 or 5 × 10ⁿ metres that fits in `maxPx` CSS pixels. */
function niceScale(mpp, maxPx) {
  const max = mpp * maxPx;
  const p = 10 ** Math.floor(Math.log10(max));
  const m = [5, 2, 1].map((k) => k * p).find((v) => v <= max) || p;
  return { metres: m, px: m / mpp, label: m >= 1000 ? `${m / 1000} km` : `${m} m` };
}

function stamp(d) {
  const z = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())} ${z(d.getHours())}:${z(d.getMinutes())}`;
}

/** The composed picture: header, map, legend, scale, north arrow, footer. */
async function composeView(title) {
  const map = state.map;
  const shot = await mapSnapshot();
  const r = shot.width / map.getCanvas().clientWidth; // device pixels per CSS pixel
  const head = 64 * r;
  const foot = 26 * r;
  const c = document.createElement('canvas');
  c.width = shot.width;
  c.height = shot.height + head + foot;
  const g = c.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, c.width, c.height);
  g.drawImage(shot, 0, head);
  g.strokeStyle = '#37474f';
  g.lineWidth = 1 * r;
  g.strokeRect(0.5 * r, head, c.width - r, shot.height);

  // Title and facts.
  const area = state.area ? state.area.name : '';
  g.fillStyle = '#102a43';
  g.textBaseline = 'alphabetic';
  g.font = `bold ${22 * r}px ${FONT}`;
  g.fillText(title || `${area || ''}安全风险分布图`, 14 * r, 30 * r);
  g.font = `${12 * r}px ${FONT}`;
  g.fillStyle = '#3e4c59';
  const facts = [];
  if (state.dataDay) facts.push(`数据日期 ${state.dataDay}`);
  if (state.asOf && state.asOf !== state.dataDay) facts.push(`地图日期 ${state.asOf}`);
  if (state.catalog && state.catalog.generation != null) facts.push(`数据第 ${state.catalog.generation} 版`);
  facts.push(`出图时间 ${stamp(new Date())}`);
  if (area) facts.push(`范围：${area}`);
  g.fillText(facts.join('　'), 14 * r, 52 * r);

  // Legend, bottom left over the map.
  const rows = LEVELS.map((l) => [levelColors[l], ZH.level[l]]);
  const lw = 118 * r;
  const lh = (26 + rows.length * 20) * r;
  const lx = 10 * r;
  const ly = head + shot.height - lh - 10 * r;
  g.fillStyle = 'rgba(255,255,255,0.92)';
  g.fillRect(lx, ly, lw, lh);
  g.strokeStyle = '#90a4ae';
  g.strokeRect(lx, ly, lw, lh);
  g.fillStyle = '#102a43';
  g.font = `bold ${12 * r}px ${FONT}`;
  g.fillText('图例 · 风险等级', lx + 8 * r, ly + 17 * r);
  g.font = `${12 * r}px ${FONT}`;
  rows.forEach(([colour, name], i) => {
    const y = ly + (26 + i * 20) * r;
    g.fillStyle = colour;
    g.fillRect(lx + 8 * r, y, 22 * r, 13 * r);
    // The map's second channel: 重大 cross-hatched, 较大 hatched one way.
    if (i < 2) {
      g.save();
      g.beginPath();
      g.rect(lx + 8 * r, y, 22 * r, 13 * r);
      g.clip();
      g.strokeStyle = 'rgba(0,0,0,0.55)';
      g.lineWidth = 1 * r;
      for (let k = -13; k < 22; k += 5) {
        g.beginPath(); g.moveTo(lx + (8 + k) * r, y + 13 * r); g.lineTo(lx + (8 + k + 13) * r, y); g.stroke();
        if (i === 0) { g.beginPath(); g.moveTo(lx + (8 + k) * r, y); g.lineTo(lx + (8 + k + 13) * r, y + 13 * r); g.stroke(); }
      }
      g.restore();
    }
    g.strokeStyle = '#455a64';
    g.strokeRect(lx + 8 * r, y, 22 * r, 13 * r);
    g.fillStyle = '#102a43';
    g.fillText(name, lx + 38 * r, y + 11 * r);
  });

  // Scale bar, bottom right over the map.
  const s = niceScale(metresPerPixel(map), 140);
  const sx = c.width - (s.px + 24) * r;
  const sy = head + shot.height - 22 * r;
  g.fillStyle = 'rgba(255,255,255,0.92)';
  g.fillRect(sx - 8 * r, sy - 20 * r, (s.px + 16) * r, 30 * r);
  g.fillStyle = '#102a43';
  g.fillRect(sx, sy, s.px * r, 4 * r);
  g.fillRect(sx, sy - 6 * r, 2 * r, 10 * r);
  g.fillRect(sx + s.px * r - 2 * r, sy - 6 * r, 2 * r, 10 * r);
  g.font = `${11 * r}px ${FONT}`;
  g.fillText(s.label, sx, sy - 8 * r);

  // North arrow, top right over the map (the viewer does not rotate the map).
  const nx = c.width - 30 * r;
  const ny = head + 16 * r;
  g.fillStyle = 'rgba(255,255,255,0.92)';
  g.fillRect(nx - 16 * r, ny - 6 * r, 32 * r, 46 * r);
  g.fillStyle = '#102a43';
  g.beginPath();
  g.moveTo(nx, ny);
  g.lineTo(nx + 9 * r, ny + 24 * r);
  g.lineTo(nx, ny + 18 * r);
  g.lineTo(nx - 9 * r, ny + 24 * r);
  g.closePath();
  g.fill();
  g.font = `bold ${11 * r}px ${FONT}`;
  g.textAlign = 'center';
  g.fillText('北', nx, ny + 38 * r);
  g.textAlign = 'left';

  // Footer.
  g.fillStyle = '#52606d';
  g.font = `${10.5 * r}px ${FONT}`;
  g.fillText('RiskMap · 四色等级：重大 红、较大 橙、一般 黄、低 蓝（重大、较大另有斜线填充）· 地图显示为 Web 墨卡托，比例尺按图幅中心纬度计', 14 * r, head + shot.height + 17 * r);
  return c;
}

async function exportImage() {
  try {
    const title = $('#image-title').value.trim();
    const c = await composeView(title);
    const blob = await new Promise((res) => c.toBlob(res, 'image/png'));
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${title || '安全风险分布图'}-${new Date().toISOString().slice(0, 10)}.png`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 5000);
  } catch (e) {
    toast(`导出图片失败：${e.message}`);
  }
}

/** A4 landscape page holding the composed view, printed (or saved as PDF) by the browser. */
async function printView() {
  const w = window.open('', '_blank');
  if (!w) { toast('浏览器阻止了打印窗口，请允许本站弹出窗口'); return; }
  try {
    const title = $('#image-title').value.trim() || `${state.area ? state.area.name : ''}安全风险分布图`;
    const c = await composeView(title);
    const url = c.toDataURL('image/png');
    w.document.write(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${title.replace(/</g, '&lt;')}</title>
<style>@page { size: A4 landscape; margin: 10mm; } body { margin: 0; font-family: sans-serif; } img { width: 100%; max-height: 185mm; object-fit: contain; display: block; }
.bar { padding: 6px 0; } @media print { .bar { display: none; } }</style>
</head><body><div class="bar"><button type="button" onclick="window.print()">打印 / 另存为 PDF</button></div><img id="view" alt="${title.replace(/"/g, '&quot;')}" src="${url}"></body></html>`);
    w.document.close();
    // The browser's print dialog, once the picture is in (a script driving the browser
    // sets riskmap.printDialog = false and prints the page itself).
    const img = w.document.getElementById('view');
    const open = () => { if (window.riskmap.printDialog !== false) w.print(); };
    if (img.complete) open(); else img.addEventListener('load', open);
  } catch (e) {
    w.close();
    toast(`生成打印页面失败：${e.message}`);
  }
}

function initImage() {
  window.riskmap.composeView = composeView;
  $('#image-export').addEventListener('click', exportImage);
  $('#print-view').addEventListener('click', printView);
}

export { composeView, initImage };
