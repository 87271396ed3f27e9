// Text and markup from values: escaped, money, hours, sizes, words, the bar of a cap.

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
export const euro = (cents) => 'EUR ' + (cents / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const hours = (min) => `${Math.floor(min / 60)}h${String(Math.abs(min) % 60).padStart(2, '0')}`;
export const signedHours = (min) => (min < 0 ? '-' : '') + hours(Math.abs(min));
export const eventType = (e) => e.type.replace('eu.programme-ledger.', '');
export const words = (s) => String(s ?? '').replaceAll('_', ' ');
export const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`);

export function bar(value, cap, { label, high = 90, extra = '' } = {}) {
  const pct = cap > 0 ? Math.min(100, (value / cap) * 100) : 0;
  return `<div class="bar ${pct > high ? 'high' : ''}" role="meter" aria-valuemin="0" aria-valuemax="${cap}" aria-valuenow="${value}" aria-label="${esc(label)}">
    <span style="width:${pct.toFixed(1)}%"></span>${extra}</div>`;
}
