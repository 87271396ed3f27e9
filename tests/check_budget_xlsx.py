#!/usr/bin/env python3
"""Reads a budget workbook (GET /v1/programmes/{pid}/budget.xlsx) with openpyxl,
a reader independent of the library that wrote it, and compares every cell
with the JSON API's answers for the same point of the ledger.

usage: check_budget_xlsx.py WORKBOOK EXPECTED.json

EXPECTED.json holds the API's answers, as tests/test_budget_xlsx.cc gathers them:
  programme    GET /v1/programmes/{pid}
  budget       GET /v1/programmes/{pid}/budget
  mentees      GET /v1/programmes/{pid}/mentees, its list
  invoices     GET /v1/invoices/{iid} of every invoice of the programme's pairs
  as_of        what the workbook was asked for: "" (now), an instant, "position N"
  recorded_at  the time of the event at the budget's position (null: none)

Money must be a number of euros equal to cents / 100 (the same double), with
the currency format; dates real date cells; every row and column accounted
for. Prints every difference and exits 1, or prints what it compared and
exits 0.
"""
import datetime
import json
import sys

import openpyxl

MONEY_FORMAT = '#,##0.00 [$EUR]'
DATE_FORMAT = 'yyyy-mm-dd'
INSTANT_FORMAT = 'yyyy-mm-dd hh:mm:ss'

SHEETS = ['Summary', 'Budget', 'Invoices', 'Payments', 'Credit notes']
# The amounts of a budget line from column E on: heading, JSON key, and
# whether the programme's totals have it.
BUDGET_AMOUNTS = [('Agreed', 'agreed_cents', True), ('Invoiced', 'invoiced_cents', True),
                  ('Credited', 'credited_cents', True), ('Net invoiced', 'net_invoiced_cents', True),
                  ('Paid', 'paid_cents', True), ('Outstanding', 'outstanding_cents', True),
                  ('Fee cap', 'cap_cents', False), ('Left', 'left_cents', False),
                  ('VAT invoiced', 'vat_invoiced_cents', True), ('VAT credited', 'vat_credited_cents', True),
                  ('VAT paid', 'vat_paid_cents', True), ('VAT outstanding', 'vat_outstanding_cents', True),
                  ('Eligible', 'eligible_cents', True), ('EU share', 'eu_share_cents', True),
                  ('Own share', 'own_share_cents', True), ('Verified', 'verified_cents', True),
                  ('Certified', 'certified_cents', True), ('Deducted', 'deducted_cents', True),
                  ('Corrected', 'corrected_cents', True), ('Certified EU share', 'certified_eu_share_cents', True)]
# An invoice's amounts from column G on.
INVOICE_AMOUNTS = [('Net', 'net_cents'), ('VAT', 'vat_cents'), ('Credited', 'credited_cents'),
                   ('VAT credited', 'vat_credited_cents'), ('Paid', 'paid_cents'), ('VAT paid', 'vat_paid_cents'),
                   ('Due', 'due_cents'), ('VAT due', 'vat_due_cents')]
HEADERS = {
    'Summary': ['Item', 'Value', 'Detail'],
    'Budget': ['Mentee', 'Name', 'Cluster', 'Country'] + [a[0] for a in BUDGET_AMOUNTS],
    'Invoices': ['Invoice', 'Number', 'Pair', 'Mentor', 'Mentee', 'Issue date'] + [a[0] for a in INVOICE_AMOUNTS] +
                ['Status', 'Position', 'Cancel reason'],
    'Payments': ['Invoice', 'Number', 'Mentor', 'Mentee', 'Paid date', 'Amount', 'VAT', 'Position'],
    'Credit notes': ['Credit note', 'Invoice', 'Number', 'Mentor', 'Mentee', 'Amount', 'VAT', 'Reason', 'Position'],
}
# Budget columns (1-based) of the amounts, and those the totals have.
LINE_AMOUNTS = {5 + i: key for i, (_, key, _) in enumerate(BUDGET_AMOUNTS)}
TOTALLED = {5 + i: key for i, (_, key, totalled) in enumerate(BUDGET_AMOUNTS) if totalled}
PER_MENTEE = [col for col in LINE_AMOUNTS if col not in TOTALLED]


class Checker:
    def __init__(self):
        self.problems = []
        self.cells = 0
        self.figures = 0

    def fail(self, where, what):
        self.problems.append(f'{where}: {what}')

    def text(self, cell, expected):
        self.cells += 1
        got = cell.value if cell.value is not None else ''
        if got != (expected if expected is not None else ''):
            self.fail(f'{cell.parent.title}!{cell.coordinate}', f'{got!r}, the API says {expected!r}')

    def money(self, cell, cents):
        self.cells += 1
        self.figures += 1
        where = f'{cell.parent.title}!{cell.coordinate}'
        v = cell.value
        if cell.data_type != 'n' or isinstance(v, bool) or not isinstance(v, (int, float)):
            return self.fail(where, f'{v!r} is not a number (type {cell.data_type}); the API says {cents} cents')
        if cell.number_format != MONEY_FORMAT:
            self.fail(where, f'number format {cell.number_format!r}, not {MONEY_FORMAT!r}')
        # The same double as cents / 100, and so exactly the cents.
        if float(v) != cents / 100 or round(float(v) * 100) != cents:
            self.fail(where, f'{v!r} euros, the API says {cents} cents')

    def number(self, cell, expected):
        self.cells += 1
        where = f'{cell.parent.title}!{cell.coordinate}'
        v = cell.value
        if cell.data_type != 'n' or isinstance(v, bool) or v != expected:
            self.fail(where, f'{v!r}, the API says {expected!r}')

    def date(self, cell, yyyy_mm_dd):
        self.cells += 1
        where = f'{cell.parent.title}!{cell.coordinate}'
        if not cell.is_date or not isinstance(cell.value, datetime.datetime):
            return self.fail(where, f'{cell.value!r} is not a date cell; the API says {yyyy_mm_dd}')
        if cell.number_format != DATE_FORMAT:
            self.fail(where, f'date format {cell.number_format!r}, not {DATE_FORMAT!r}')
        if cell.value != datetime.datetime.fromisoformat(yyyy_mm_dd):
            self.fail(where, f'{cell.value.isoformat()}, the API says {yyyy_mm_dd}')

    def instant(self, cell, expected, tolerance_s=0.001):
        self.cells += 1
        where = f'{cell.parent.title}!{cell.coordinate}'
        if not cell.is_date or not isinstance(cell.value, datetime.datetime):
            return self.fail(where, f'{cell.value!r} is not a date-time cell')
        if cell.number_format != INSTANT_FORMAT:
            self.fail(where, f'format {cell.number_format!r}, not {INSTANT_FORMAT!r}')
        got = cell.value.replace(tzinfo=datetime.timezone.utc)
        if abs((got - expected).total_seconds()) > tolerance_s:
            self.fail(where, f'{got.isoformat()}, expected {expected.isoformat()}')

    def table(self, ws, rows):
        """The header (bold, frozen) and the sheet's extent: `rows` rows below it."""
        headers = HEADERS[ws.title]
        got = [c.value for c in ws[1]]
        if got != headers:
            self.fail(ws.title, f'headers {got}, expected {headers}')
        for c in ws[1]:
            if not c.font.b:
                self.fail(f'{ws.title}!{c.coordinate}', 'the header is not bold')
        if ws.freeze_panes != 'A2':
            self.fail(ws.title, f'frozen panes at {ws.freeze_panes}, not below the header (A2)')
        if ws.max_row != rows + 1:
            self.fail(ws.title, f'{ws.max_row} rows, expected {rows + 1} (the header and {rows})')
        if ws.max_column != len(headers):
            self.fail(ws.title, f'{ws.max_column} columns, expected {len(headers)}')


def instant_of(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def invoice_status(inv):
    if inv['cancelled']:
        return 'cancelled'
    due = inv['due_cents'] > 0 or inv['vat_due_cents'] > 0
    paid = inv['paid_cents'] > 0 or inv['vat_paid_cents'] > 0
    if not due:
        return 'paid' if paid else 'credited'
    return 'part paid' if paid else 'open'


def check_budget(k, ws, ws_cached, api):
    budget = api['budget']
    lines = budget['mentees']
    mentees = {m['id']: m for m in api['mentees']}
    n = len(lines)
    k.table(ws, n + (2 if n else 1))
    for i, line in enumerate(lines):
        r = i + 2
        k.text(ws.cell(r, 1), line['mentee_id'])
        k.text(ws.cell(r, 2), mentees[line['mentee_id']]['name'])
        k.text(ws.cell(r, 3), mentees[line['mentee_id']]['cluster_name'])
        k.text(ws.cell(r, 4), line['country'])
        for col, key in LINE_AMOUNTS.items():
            k.money(ws.cell(r, col), line[key])
    # The ledger's totals, as numbers (not formulas).
    r = n + 2
    totals = budget['totals']
    k.text(ws.cell(r, 1), 'Total')
    for col, key in TOTALLED.items():
        k.money(ws.cell(r, col), totals[key])
    for col in PER_MENTEE:
        k.text(ws.cell(r, col), None)
    if not n:
        return
    # The spreadsheet's own sums: SUM formulas, their cached results the sums
    # of the lines; equal to the totals but for the shares, which differ by
    # the rounding difference.
    r = n + 3
    k.text(ws.cell(r, 1), 'Sum of the lines')
    for col, key in TOTALLED.items():
        letter = ws.cell(r, col).column_letter
        k.text(ws.cell(r, col), f'=SUM({letter}2:{letter}{n + 1})')
        k.money(ws_cached.cell(r, col), sum(line[key] for line in lines))
    for col in PER_MENTEE:
        k.text(ws.cell(r, col), None)
    eu_sum = sum(line['eu_share_cents'] for line in lines)
    if eu_sum != totals['mentee_eu_share_sum_cents'] or totals['eu_share_cents'] - eu_sum != totals['rounding_difference_cents']:
        k.fail('Budget', 'the lines\' EU shares do not add up to the API\'s mentee_eu_share_sum_cents')


def check_invoices(k, ws, invoices):
    k.table(ws, len(invoices))
    for i, inv in enumerate(invoices):
        r = i + 2
        for col, key in enumerate(['id', 'number', 'pair_id', 'mentor_id', 'mentee_id'], start=1):
            k.text(ws.cell(r, col), inv[key])
        k.date(ws.cell(r, 6), inv['issue_date'])
        for col, (_, key) in enumerate(INVOICE_AMOUNTS, start=7):
            k.money(ws.cell(r, col), inv[key])
        after = 7 + len(INVOICE_AMOUNTS)
        k.text(ws.cell(r, after), invoice_status(inv))
        k.number(ws.cell(r, after + 1), inv['position'])
        k.text(ws.cell(r, after + 2), inv.get('cancel_reason'))


def movements(invoices, key):
    return sorted(((m, inv) for inv in invoices for m in inv[key]), key=lambda p: p[0]['position'])


def check_payments(k, ws, invoices):
    payments = movements(invoices, 'payments')
    k.table(ws, len(payments))
    for i, (p, inv) in enumerate(payments):
        r = i + 2
        for col, key in enumerate(['id', 'number', 'mentor_id', 'mentee_id'], start=1):
            k.text(ws.cell(r, col), inv[key])
        k.date(ws.cell(r, 5), p['paid_date'])
        k.money(ws.cell(r, 6), p['amount_cents'])
        k.money(ws.cell(r, 7), p['vat_cents'])
        k.number(ws.cell(r, 8), p['position'])
    return len(payments)


def check_credits(k, ws, invoices):
    credits = movements(invoices, 'credit_notes')
    k.table(ws, len(credits))
    for i, (c, inv) in enumerate(credits):
        r = i + 2
        k.text(ws.cell(r, 1), c['id'])
        for col, key in enumerate(['id', 'number', 'mentor_id', 'mentee_id'], start=2):
            k.text(ws.cell(r, col), inv[key])
        k.money(ws.cell(r, 6), c['amount_cents'])
        k.money(ws.cell(r, 7), c['vat_cents'])
        k.text(ws.cell(r, 8), c['reason'])
        k.number(ws.cell(r, 9), c['position'])
    return len(credits)


def check_summary(k, ws, api, payments, credits):
    budget, programme, totals = api['budget'], api['programme'], api['budget']['totals']
    if ws.freeze_panes != 'A2':
        k.fail('Summary', f'frozen panes at {ws.freeze_panes}, not A2')
    if [c.value for c in ws[1]] != HEADERS['Summary']:
        k.fail('Summary', f'headers {[c.value for c in ws[1]]}')
    rows = {}
    for r in range(2, ws.max_row + 1):
        label = ws.cell(r, 1).value
        if label is not None:
            rows[label] = r
    cell = lambda label, col=2: ws.cell(rows[label], col) if label in rows else None  # noqa: E731
    expected_labels = ['Programme', 'Coordinator', 'Position', 'Recorded at (UTC)', 'As of', 'Written at (UTC)',
                       'Fee cap per mentee', 'VAT eligible', 'EU co-funding rate', 'Mentees', 'Invoices', 'Payments',
                       'Credit notes', 'Agreed', 'Invoiced', 'Credited', 'Net invoiced', 'Paid', 'Outstanding',
                       'VAT invoiced', 'VAT credited', 'VAT paid', 'VAT outstanding', 'Eligible', 'EU share',
                       'Own share', "Mentees' EU shares, summed", 'Rounding difference', 'Verified', 'Certified',
                       'Deducted', 'Corrected', 'Certified EU share']
    for label in expected_labels:
        if label not in rows:
            k.fail('Summary', f'no row {label!r}')
    if any(label not in rows for label in expected_labels):
        return
    k.text(cell('Programme'), programme['id'])
    k.text(cell('Programme', 3), programme['name'])
    k.text(cell('Coordinator'), programme['coordinator'])
    k.number(cell('Position'), budget['position'])
    if api['recorded_at']:
        k.instant(cell('Recorded at (UTC)'), instant_of(api['recorded_at']))
        detail = cell('Recorded at (UTC)', 3).value or ''
        if not detail.startswith(api['recorded_at']):
            k.fail('Summary', f'recorded at {detail!r}, the API says {api["recorded_at"]}')
    k.text(cell('As of'), api['as_of'] or 'now')
    now = datetime.datetime.now(datetime.timezone.utc)
    k.instant(cell('Written at (UTC)'), now, tolerance_s=600)
    k.money(cell('Fee cap per mentee'), budget['fee_cap_cents'])
    k.text(cell('VAT eligible'), 'yes' if budget['vat_eligible'] else 'no')
    rate = cell('EU co-funding rate')
    if rate.number_format != '0.00%' or round(rate.value * 10000) != totals['cofunding_bp']:
        k.fail('Summary', f'rate {rate.value!r} ({rate.number_format}), the API says {totals["cofunding_bp"]} bp')
    k.number(cell('Mentees'), len(budget['mentees']))
    k.number(cell('Invoices'), len(api['invoices']))
    k.number(cell('Payments'), payments)
    k.number(cell('Credit notes'), credits)
    for label, key in [('Agreed', 'agreed_cents'), ('Invoiced', 'invoiced_cents'), ('Credited', 'credited_cents'),
                       ('Net invoiced', 'net_invoiced_cents'), ('Paid', 'paid_cents'),
                       ('Outstanding', 'outstanding_cents'), ('VAT invoiced', 'vat_invoiced_cents'),
                       ('VAT credited', 'vat_credited_cents'), ('VAT paid', 'vat_paid_cents'),
                       ('VAT outstanding', 'vat_outstanding_cents'), ('Eligible', 'eligible_cents'),
                       ('EU share', 'eu_share_cents'),
                       ('Own share', 'own_share_cents'), ("Mentees' EU shares, summed", 'mentee_eu_share_sum_cents'),
                       ('Rounding difference', 'rounding_difference_cents'), ('Verified', 'verified_cents'),
                       ('Certified', 'certified_cents'), ('Deducted', 'deducted_cents'),
                       ('Corrected', 'corrected_cents'), ('Certified EU share', 'certified_eu_share_cents')]:
        k.money(cell(label), totals[key])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, expected = sys.argv[1], sys.argv[2]
    with open(expected, encoding='utf-8') as f:
        api = json.load(f)
    wb = openpyxl.load_workbook(path)  # formulas as written
    cached = openpyxl.load_workbook(path, data_only=True)  # formulas' cached results
    k = Checker()
    if wb.sheetnames != SHEETS:
        k.fail('workbook', f'sheets {wb.sheetnames}, expected {SHEETS}')
    else:
        invoices = sorted(api['invoices'], key=lambda inv: inv['position'])
        check_budget(k, wb['Budget'], cached['Budget'], api)
        check_invoices(k, wb['Invoices'], invoices)
        payments = check_payments(k, wb['Payments'], invoices)
        credits = check_credits(k, wb['Credit notes'], invoices)
        check_summary(k, wb['Summary'], api, payments, credits)
    for p in k.problems:
        print(p)
    if k.problems:
        print(f'{len(k.problems)} differences between the workbook and the API')
        sys.exit(1)
    print(f'ok: {k.cells} cells compared, {k.figures} of them amounts, every one the API\'s to the cent')


if __name__ == '__main__':
    main()
