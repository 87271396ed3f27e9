// The state of the dashboard, one object shared by every module: the token
// (kept in session storage), who signed in, the programme and the as-of date
// chosen, and what the view on screen holds (its charts, the figures it can
// explain).

export const state = { token: sessionStorage.getItem('ledger-token') || '', me: null, programme: '', asOf: '', charts: [], explained: new Map() };
export const pidPath = () => `/v1/programmes/${encodeURIComponent(state.programme)}`;
