// One function per hash route; each reads the admin API and returns the
// page's nodes. ctx: {store, channel, from, to, params}.
import { get, storePath } from './api.js';
import { h, fmtInt, fmtMoney, fmtPct, fmtPP, figure, stat, cards, section, table, cell, chart } from './ui.js';

function q(ctx) {
  return { from: ctx.from, to: ctx.to, channel: ctx.channel || undefined };
}

function tid(...parts) {
  return parts.join('-');
}

async function overview(ctx) {
  const [o, hold] = await Promise.all([
    get(storePath(ctx.store, '/analytics/overview'), q(ctx)),
    get(storePath(ctx.store, '/analytics/holdout'), q(ctx)),
  ]);
  const s = o.store || {}, f = o.flows || {}, l = o.loyalty || {};
  const series = o.series || [];
  return [
    h('h1', {}, 'Overview'),
    section('Store',
      cards(
        stat('Customers', fmtInt(s.customers_total), 'overview-customers_total'),
        figure('New customers', s.customers_new, 'count', 'overview-customers_new'),
        figure('Orders', s.orders, 'count', 'overview-orders'),
        figure('Revenue', s.revenue, 'money', 'overview-revenue'),
        figure('Average order value', s.average_order_value, 'money', 'overview-average_order_value')),
      (s.by_channel || []).length ? table('Store figures by channel', ['Channel', 'Customers', 'Orders', 'Revenue'],
        s.by_channel.map(c => [String(c.channel_id),
          cell(fmtInt(c.customers_total), tid('overview-channel', c.channel_id, 'customers_total')),
          cell(fmtInt(c.orders), tid('overview-channel', c.channel_id, 'orders')),
          cell(fmtMoney(c.revenue), tid('overview-channel', c.channel_id, 'revenue'))]), { showCaption: true }) : null,
      chart('Orders and new customers', series, [
        { label: 'Orders', value: r => r.orders },
        { label: 'New customers', value: r => r.customers_new }]),
      chart('Revenue', series, [
        { label: 'Revenue', value: r => r.revenue, money: true },
        { label: 'Recovered revenue', value: r => r.recovered_revenue, money: true }])),
    section('Flows',
      cards(
        figure('Entered', f.entered, 'count', 'overview-entered'),
        figure('Messages sent', f.sent, 'count', 'overview-sent'),
        figure('Converted', f.converted, 'count', 'overview-converted'),
        figure('Recovered revenue', f.recovered_revenue, 'money', 'overview-recovered_revenue'),
        figure('Goals reached', f.goals_reached, 'count', 'overview-goals_reached')),
      chart('Messages sent', series, [{ label: 'Sent', value: r => r.sent }])),
    holdoutCard(hold),
    section('Loyalty',
      cards(
        stat('Members', fmtInt(l.members), 'overview-members'),
        figure('Points issued', l.points_issued, 'count', 'overview-points_issued'),
        figure('Points redeemed', l.points_redeemed, 'count', 'overview-points_redeemed'))),
  ];
}

function holdoutCard(hd) {
  const group = (name, g = {}) => [name,
    cell(fmtInt(g.carts), tid('holdout', name, 'carts')),
    cell(fmtInt(g.converted), tid('holdout', name, 'converted')),
    cell(fmtPct(g.rate), tid('holdout', name, 'rate')),
    cell(fmtMoney(g.revenue), tid('holdout', name, 'revenue'))];
  const ci = hd.rate_difference_ci95 || [0, 0], rci = hd.incremental_revenue_ci95 || ['0.00', '0.00'];
  return section('Cart recovery against a holdout',
    h('p', {}, 'Held out: ', h('strong', { testid: 'holdout-percent' }, fmtInt(hd.percent) + '%'),
      ' of carts get no reminder. ', hd.percent ? '' : 'Set cart_recovery.holdout_percent in the flows file to measure incrementality.'),
    table('Messaged and held-out carts', ['Group', 'Carts', 'Converted', 'Conversion', 'Revenue'],
      [group('messaged', hd.messaged), group('holdout', hd.holdout)], { showCaption: true }),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Conversion difference (95% CI)'),
      h('dd', {}, cell(fmtPP(hd.rate_difference), 'holdout-rate_difference'), ' (',
        cell(fmtPP(ci[0]), 'holdout-rate_difference-lo'), ' to ', cell(fmtPP(ci[1]), 'holdout-rate_difference-hi'), ')'),
      h('dt', {}, 'Incremental revenue (95% CI)'),
      h('dd', {}, cell(fmtMoney(hd.incremental_revenue), 'holdout-incremental_revenue'), ' (',
        cell(fmtMoney(rci[0]), 'holdout-incremental_revenue-lo'), ' to ', cell(fmtMoney(rci[1]), 'holdout-incremental_revenue-hi'), ')'),
      h('dt', {}, 'Significant at 95%'),
      h('dd', {}, cell(hd.significant ? 'yes' : 'no', 'holdout-significant'))));
}

const stepMetrics = [
  ['sent', 'Sent', 'count'], ['delivered', 'Delivered', 'count'], ['opened', 'Opened', 'count'], ['clicked', 'Clicked', 'count'],
  ['skipped', 'Skipped', 'count'], ['deferred', 'Deferred', 'count'], ['failed', 'Failed', 'count'],
  ['converted', 'Converted', 'count'], ['revenue', 'Revenue', 'money'],
];

async function flows(ctx) {
  const out = await get(storePath(ctx.store, '/analytics/flows'), q(ctx));
  const list = out.flows || [];
  const val = (fig, kind) => {
    const v = (fig || {}).current;
    return kind === 'money' ? fmtMoney(v ?? '0.00') : fmtInt(v);
  };
  return [
    h('h1', {}, 'Flows'),
    list.length ? null : h('p', {}, 'No flow has run in this period.'),
    ...list.map(fl => section(fl.flow,
      cards(
        figure('Entered', fl.entered, 'count', tid('flows', fl.flow, 'entered')),
        figure('Sent', fl.sent, 'count', tid('flows', fl.flow, 'sent')),
        figure('Opened', fl.opened, 'count', tid('flows', fl.flow, 'opened')),
        figure('Clicked', fl.clicked, 'count', tid('flows', fl.flow, 'clicked')),
        figure('Converted', fl.converted, 'count', tid('flows', fl.flow, 'converted')),
        figure('Revenue', fl.revenue, 'money', tid('flows', fl.flow, 'revenue'))),
      table(fl.flow + ': funnel by step', ['Step', ...stepMetrics.map(m => m[1])],
        [...(fl.steps || []).map(st => [st.step, ...stepMetrics.map(([k, , kind]) => cell(val(st[k], kind), tid('flows', fl.flow, st.step, k)))]),
          { class: 'total', cells: ['All steps', ...stepMetrics.map(([k, , kind]) => cell(val(fl[k], kind), tid('flows', fl.flow, 'total', k)))] }],
        { showCaption: true }),
      reasons(fl))),
  ];
}

function reasons(fl) {
  const rows = [];
  for (const st of fl.steps || []) {
    for (const r of st.reasons || []) {
      rows.push([st.step, r.decision, r.reason || '(none)', cell(fmtInt(r.count), tid('flows', fl.flow, st.step, r.decision, r.reason))]);
    }
  }
  if (!rows.length) return null;
  return table(fl.flow + ': why steps were skipped, deferred or failed', ['Step', 'Decision', 'Reason', 'Count'], rows,
    { showCaption: true, numeric: false, class: 'reasons' });
}

async function customer(ctx) {
  const query = (ctx.params.get('q') || '').trim();
  const form = h('form', { class: 'search', role: 'search' },
    h('label', { for: 'customer-q' }, 'Email or customer id'),
    h('input', { id: 'customer-q', name: 'q', type: 'search', value: query, required: true, autocomplete: 'off' }),
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', e => {
    e.preventDefault();
    const v = form.elements.q.value.trim();
    if (v) location.hash = '#/customer?q=' + encodeURIComponent(v);
  });
  const page = [h('h1', {}, 'Customer'), form];
  if (!query) return page;
  const path = storePath(ctx.store, '/customers/' + encodeURIComponent(query));
  const [c, tl] = await Promise.all([get(path), get(path + '/timeline', { limit: 200 })]);
  const cu = c.customer, stats = c.stats, loy = c.loyalty;
  const name = cu ? [cu.first_name, cu.last_name].filter(Boolean).join(' ') : '';
  page.push(section('Profile',
    cu || stats ? h('dl', { class: 'facts' },
      h('dt', {}, 'Name'), h('dd', {}, cell(name || '(guest)', 'customer-name')),
      h('dt', {}, 'Email'), h('dd', {}, cell((cu && cu.email) || (stats && stats.email) || '', 'customer-email')),
      h('dt', {}, 'Customer id'), h('dd', {}, cell(cu ? String(cu.id) : 'guest', 'customer-id')),
      cu ? [h('dt', {}, 'Channels'), h('dd', {}, cell((cu.channel_ids || []).join(', ') || 'none', 'customer-channels'))] : null,
      h('dt', {}, 'Segments'), h('dd', {}, cell((c.segments || []).join(', ') || 'none', 'customer-segments')))
      : h('p', { testid: 'customer-unknown' }, 'No customer or orders with this id or email in the store mirror.'),
    cards(
      stat('Orders', fmtInt(stats ? stats.orders_count : 0), 'customer-orders_count'),
      stat('Total spent', fmtMoney(stats ? stats.total_spent : '0.00'), 'customer-total_spent'),
      stat('Points', fmtInt(loy ? loy.balance : 0), 'customer-points'),
      stat('Tier', (loy && loy.tier) || 'none', 'customer-tier'))));
  page.push(section('Orders', table('Orders, newest first', ['Order', 'Date', 'Status', 'Channel', 'Total'],
    (c.orders || []).map(o => [String(o.id), (o.date_created || '').slice(0, 10), o.status || '', String(o.channel_id ?? ''),
      cell(fmtMoney(o.total), tid('customer-order', o.id, 'total'))]), { numeric: false, empty: 'No orders.' })));
  const ds = tl.decisions || [];
  page.push(section('Timeline',
    h('p', {}, 'Every decision bcflow took about this shopper, newest first, with its reason.'),
    table('Decisions, newest first', ['When (UTC)', 'Flow', 'Step', 'Decision', 'Reason'],
      ds.map((d, i) => ({
        class: 'decision-' + d.decision, cells: [
          h('time', { datetime: d.at }, (d.at || '').replace('T', ' ').slice(0, 16)),
          cell(d.flow, tid('timeline', i, 'flow')), cell(d.step || '', tid('timeline', i, 'step')),
          cell(d.decision, tid('timeline', i, 'decision')), cell(d.reason || '', tid('timeline', i, 'reason'))],
      })), { numeric: false, empty: 'No decisions about this shopper.', class: 'timeline' })));
  return page;
}

async function loyalty(ctx) {
  const l = await get(storePath(ctx.store, '/analytics/loyalty'), q(ctx));
  return [
    h('h1', {}, 'Loyalty'),
    // The ledger keeps each entry's channel; accounts are the store's.
    ctx.channel ? h('p', {}, 'Points issued and redeemed are this channel\'s; members, tiers and outstanding points are the whole store\'s.') : null,
    cards(
      stat('Members', fmtInt(l.members), 'loyalty-members'),
      figure('Points issued', l.points_issued, 'count', 'loyalty-points_issued'),
      figure('Points redeemed', l.points_redeemed, 'count', 'loyalty-points_redeemed'),
      figure('Redemption rate', l.redemption_rate, 'ratio', 'loyalty-redemption_rate'),
      stat('Outstanding points', fmtInt(l.outstanding_points), 'loyalty-outstanding_points'),
      stat('Outstanding liability', fmtMoney(l.outstanding_liability), 'loyalty-outstanding_liability')),
    section('Members by tier', table('Members by tier', ['Tier', 'Members'],
      (l.members_by_tier || []).map(t => [t.tier, cell(fmtInt(t.members), tid('loyalty-tier', t.tier))]), { empty: 'No members.' })),
    chart('Points issued and redeemed', l.series || [], [
      { label: 'Issued', value: r => r.issued }, { label: 'Redeemed', value: r => r.redeemed }]),
  ];
}

async function segments(ctx) {
  const s = await get(storePath(ctx.store, '/analytics/segments'), q(ctx));
  const list = s.segments || [];
  const days = list.length ? (list[0].series || []).map(r => r.day) : [];
  const rows = days.map((day, i) => {
    const r = { day };
    list.forEach((sg, j) => { r['s' + j] = ((sg.series || [])[i] || {}).size; });
    return r;
  });
  return [
    h('h1', {}, 'Segments'),
    table('Segments', ['Segment', 'Members', 'Entered', 'Entered before', 'Left', 'Left before'],
      list.map(sg => [sg.title || sg.name,
        cell(fmtInt(sg.size), tid('segments', sg.name, 'size')),
        cell(fmtInt((sg.entered || {}).current), tid('segments', sg.name, 'entered-current')),
        cell(fmtInt((sg.entered || {}).previous), tid('segments', sg.name, 'entered-previous')),
        cell(fmtInt((sg.left || {}).current), tid('segments', sg.name, 'left-current')),
        cell(fmtInt((sg.left || {}).previous), tid('segments', sg.name, 'left-previous'))]),
      { showCaption: true, empty: 'No segments defined.' }),
    list.length ? chart('Segment sizes', rows, list.map((sg, j) => ({ label: sg.title || sg.name, value: r => r['s' + j] }))) : null,
  ];
}

async function sync(ctx) {
  const s = await get(storePath(ctx.store, '/sync'));
  const runs = s.runs || [];
  return [
    h('h1', {}, 'Sync'),
    runs.length ? null : h('p', {}, 'No sync has run for this store.'),
    ...runs.map(r => section(r.kind + ' sync',
      h('p', {}, 'Status ', h('strong', { testid: tid('sync', r.kind, 'status') }, r.status),
        r.started_at ? ', started ' + r.started_at.replace('T', ' ').slice(0, 16) + ' UTC' : '',
        r.error ? h('span', { class: 'error' }, ' — ' + r.error) : ''),
      table(r.kind + ' sync by resource', ['Resource', 'Progress', 'Done', 'Total', 'Pushed'],
        (r.resources || []).map(x => [x.resource,
          h('progress', { max: x.total > 0 ? x.total : 1, value: x.total > 0 ? Math.min(x.done, x.total) : (x.finished ? 1 : 0), 'aria-label': x.resource + ' progress' }),
          cell(fmtInt(x.done), tid('sync', r.kind, x.resource, 'done')),
          cell(x.total < 0 ? 'unknown' : fmtInt(x.total), tid('sync', r.kind, x.resource, 'total')),
          cell(fmtInt(x.pushed), tid('sync', r.kind, x.resource, 'pushed'))]), { showCaption: true }))),
  ];
}

/** pages maps a hash route to its title and renderer. */
export const pages = {
  overview: { title: 'Overview', render: overview },
  flows: { title: 'Flows', render: flows },
  customer: { title: 'Customer', render: customer },
  loyalty: { title: 'Loyalty', render: loyalty },
  segments: { title: 'Segments', render: segments },
  sync: { title: 'Sync', render: sync },
};
