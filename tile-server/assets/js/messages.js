// Messages to the user (toasts) and the fetch wrapper that turns every failure into one.

import { $, h } from './util.js';

const recentToasts = new Map();

/** Shows a message; kind 'error' (default) or 'info'. Errors stay until closed. */
function toast(message, kind = 'error') {
  const now = Date.now();
  if (recentToasts.get(message) > now - 4000) return;
  recentToasts.set(message, now);
  const box = h('div', { class: `toast ${kind}` }, message,
    h('button', { class: 'close', type: 'button', title: '关闭', 'aria-label': '关闭', onclick: () => box.remove() }, '×'));
  $('#toasts').append(box);
  if (kind !== 'error') setTimeout(() => box.remove(), 5000);
  while ($('#toasts').children.length > 4) $('#toasts').firstElementChild.remove();
}

class ApiError extends Error {
  constructor(status, message, url) {
    super(message);
    this.status = status;
    this.url = url;
  }
}

/** fetch() that turns an error response ({error, status}) or a network failure into an ApiError. */
async function api(url, options) {
  let r;
  try {
    r = await fetch(url, options);
  } catch (e) {
    throw new ApiError(0, `无法连接服务器（${e.message}）`, url);
  }
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try {
      const j = await r.json();
      if (j && typeof j.error === 'string') msg = j.error;
    } catch { /* not JSON: keep the status line */ }
    throw new ApiError(r.status, msg, url);
  }
  return r;
}

function showError(what, err) {
  if (err instanceof ApiError) {
    toast(err.status ? `${what}失败：服务器返回 ${err.status}：${err.message}` : `${what}失败：${err.message}`);
  } else {
    toast(`${what}失败：${err && err.message ? err.message : err}`);
  }
}

export { api, showError, toast };
