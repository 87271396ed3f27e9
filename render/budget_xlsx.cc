#include "render/budget_xlsx.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "base/checked.h"
#include "base/dates.h"
#include "render/views_json.h"

namespace pl {

using nlohmann::json;

BudgetWorkbookSource budget_workbook_source(const ReadModels& rm, const std::string& programme_id) {
  BudgetWorkbookSource src;
  src.programme_id = programme_id;
  if (const ProgrammeState* p = State::find(rm.core().programmes(), programme_id))
    src.programme = programme_json(rm, *p);
  src.budget = budget_answer(rm, programme_id, false);
  src.mentees = json::array();
  for (const json& line : src.budget["mentees"]) {
    const MenteeState* m = State::find(rm.core().mentees(), line["mentee_id"].get<std::string>());
    src.mentees.push_back(m ? mentee_json(rm, *m) : json::object());
  }
  src.invoices = json::array();
  if (const ProgrammeIndex* idx = State::find(rm.programmes(), programme_id))
    for (const std::string& iid : idx->invoices)
      if (const InvoiceState* inv = State::find(rm.core().invoices(), iid))
        src.invoices.push_back(invoice_json(rm, *inv));
  src.position = rm.position();
  src.recorded_at_us = rm.recorded_at_us();
  return src;
}

namespace {

// Excel's day 0 is 1899-12-30: 25,569 days before 1970-01-01.
constexpr double kExcelEpochDays = 25569.0;
constexpr double kUsPerDay = 86400e6;
// Euros, with the ISO code after the amount.
constexpr const char* kMoneyFormat = "#,##0.00 [$EUR]";
constexpr const char* kDateFormat = "yyyy-mm-dd";
constexpr const char* kInstantFormat = "yyyy-mm-dd hh:mm:ss";

double euros(std::int64_t cents) { return static_cast<double>(cents) / 100.0; }
double excel_date(std::int32_t days) { return static_cast<double>(days) + kExcelEpochDays; }
double excel_instant(std::int64_t us) { return static_cast<double>(us) / kUsPerDay + kExcelEpochDays; }

std::int64_t cents_of(const json& j, const char* key) { return j.at(key).get<std::int64_t>(); }
std::string text_at(const json& j, const char* key) { return j.at(key).get<std::string>(); }

struct Formats {
  lxw_format *header, *bold, *money, *money_bold, *date, *instant, *percent, *count, *wrap;
  explicit Formats(lxw_workbook* wb) {
    header = workbook_add_format(wb);
    format_set_bold(header);
    format_set_bottom(header, LXW_BORDER_THIN);
    format_set_text_wrap(header);
    format_set_align(header, LXW_ALIGN_VERTICAL_TOP);
    bold = workbook_add_format(wb);
    format_set_bold(bold);
    money = workbook_add_format(wb);
    format_set_num_format(money, kMoneyFormat);
    money_bold = workbook_add_format(wb);
    format_set_num_format(money_bold, kMoneyFormat);
    format_set_bold(money_bold);
    date = workbook_add_format(wb);
    format_set_num_format(date, kDateFormat);
    instant = workbook_add_format(wb);
    format_set_num_format(instant, kInstantFormat);
    percent = workbook_add_format(wb);
    format_set_num_format(percent, "0.00%");
    count = workbook_add_format(wb);
    format_set_num_format(count, "0");
    wrap = workbook_add_format(wb);
    format_set_text_wrap(wrap);
    format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);
  }
};

// text: as wide as its widest entry; mixed: the same, and room for an amount.
enum class Col { text, mixed, money, date, count };
struct Column {
  const char* heading;
  Col kind;
};

// One worksheet: a bold, frozen header row and the writes after it, keeping
// the first error and each column's widest text.
class Sheet {
 public:
  Sheet(lxw_workbook* wb, const char* name, const Formats& f, std::vector<Column> columns)
      : ws_(workbook_add_worksheet(wb, name)), f_(f), columns_(std::move(columns)), width_(columns_.size(), 0) {
    if (!ws_) {
      err_ = LXW_ERROR_MEMORY_MALLOC_FAILED;
      return;
    }
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      keep(worksheet_write_string(ws_, 0, col(c), columns_[c].heading, f_.header));
      width_[c] = std::strlen(columns_[c].heading);
    }
    worksheet_freeze_panes(ws_, 1, 0);
  }

  void text(lxw_row_t r, std::size_t c, const std::string& s, lxw_format* fmt = nullptr) {
    if (!ws_) return;
    keep(worksheet_write_string(ws_, r, col(c), s.c_str(), fmt));
    width_[c] = std::max(width_[c], s.size());
  }
  // Text across the first `span` columns, wrapped, not counted in the widths.
  void note(lxw_row_t r, std::size_t span, const std::string& s) {
    if (!ws_) return;
    keep(worksheet_merge_range(ws_, r, 0, r, col(span), s.c_str(), f_.wrap));
    keep(worksheet_set_row(ws_, r, 45, nullptr));
  }
  void money(lxw_row_t r, std::size_t c, std::int64_t cents, bool bold = false) {
    if (ws_) keep(worksheet_write_number(ws_, r, col(c), euros(cents), bold ? f_.money_bold : f_.money));
  }
  // A SUM over rows [first, last] of column c, its result cached.
  void money_sum(lxw_row_t r, std::size_t c, lxw_row_t first, lxw_row_t last, std::int64_t cents) {
    if (!ws_) return;
    char from[16], to[16];
    lxw_rowcol_to_cell(from, first, col(c));
    lxw_rowcol_to_cell(to, last, col(c));
    std::string formula = std::string("=SUM(") + from + ":" + to + ")";
    keep(worksheet_write_formula_num(ws_, r, col(c), formula.c_str(), f_.money_bold, euros(cents)));
  }
  void date(lxw_row_t r, std::size_t c, const std::string& yyyy_mm_dd) {
    if (!ws_) return;
    if (auto d = parse_date(yyyy_mm_dd))
      keep(worksheet_write_number(ws_, r, col(c), excel_date(*d), f_.date));
    else
      text(r, c, yyyy_mm_dd);
  }
  void count(lxw_row_t r, std::size_t c, double n) { number(r, c, n, f_.count); }
  void instant(lxw_row_t r, std::size_t c, std::int64_t us) { number(r, c, excel_instant(us), f_.instant); }
  void number(lxw_row_t r, std::size_t c, double n, lxw_format* fmt) {
    if (ws_) keep(worksheet_write_number(ws_, r, col(c), n, fmt));
  }
  lxw_worksheet* ws() const { return ws_; }

  // Column widths (text: its widest entry, within bounds; figures: fixed)
  // and the autofilter over the header and `rows` data rows.
  lxw_error finish(lxw_row_t rows, bool filter = true) {
    if (!ws_) return err_;
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      double w = 0;
      switch (columns_[c].kind) {
        case Col::text:
          w = static_cast<double>(std::clamp<std::size_t>(width_[c] + 2, 8, 48));
          break;
        case Col::mixed:
          w = static_cast<double>(std::clamp<std::size_t>(width_[c] + 2, 16, 48));
          break;
        case Col::money:
          w = std::max(16.0, static_cast<double>(std::strlen(columns_[c].heading)) + 2);
          break;
        case Col::date:
          w = 12;
          break;
        case Col::count:
          w = std::max(10.0, static_cast<double>(std::strlen(columns_[c].heading)) + 2);
          break;
      }
      keep(worksheet_set_column(ws_, col(c), col(c), w, nullptr));
    }
    if (filter && rows > 0) keep(worksheet_autofilter(ws_, 0, 0, rows, col(columns_.size() - 1)));
    return err_;
  }

 private:
  static lxw_col_t col(std::size_t c) { return static_cast<lxw_col_t>(c); }
  void keep(lxw_error e) {
    if (err_ == LXW_NO_ERROR) err_ = e;
  }
  lxw_worksheet* ws_;
  const Formats& f_;
  std::vector<Column> columns_;
  std::vector<std::size_t> width_;
  lxw_error err_ = LXW_NO_ERROR;
};

// An invoice's state in a word, net and VAT together: cancelled; paid
// (nothing due, something paid); credited (nothing due, nothing paid); part
// paid; open.
std::string invoice_status(const json& inv) {
  if (inv.at("cancelled").get<bool>()) return "cancelled";
  bool due = cents_of(inv, "due_cents") > 0 || cents_of(inv, "vat_due_cents") > 0;
  bool paid = cents_of(inv, "paid_cents") > 0 || cents_of(inv, "vat_paid_cents") > 0;
  if (!due) return paid ? "paid" : "credited";
  return paid ? "part paid" : "open";
}

struct MovementRow {
  const json* invoice;
  const json* item;
  std::uint64_t position;
};
std::vector<MovementRow> movements(const json& invoices, const char* key) {
  std::vector<MovementRow> out;
  for (const json& inv : invoices)
    for (const json& m : inv.at(key)) out.push_back({&inv, &m, m.at("position").get<std::uint64_t>()});
  std::stable_sort(out.begin(), out.end(),
                   [](const MovementRow& a, const MovementRow& b) { return a.position < b.position; });
  return out;
}

lxw_error write_summary(lxw_workbook* wb, const Formats& f, const BudgetWorkbookSource& src, std::size_t payments,
                        std::size_t credits) {
  Sheet s(wb, "Summary", f, {{"Item", Col::text}, {"Value", Col::mixed}, {"Detail", Col::text}});
  if (!s.ws()) return s.finish(0, false);
  const json& b = src.budget;
  const json& t = b.at("totals");
  lxw_row_t r = 1;
  auto label = [&](const char* what) { s.text(r, 0, what, f.bold); };
  auto money_row = [&](const char* what, std::int64_t cents, const std::string& detail) {
    label(what);
    s.money(r, 1, cents);
    if (!detail.empty()) s.text(r, 2, detail);
    ++r;
  };
  auto count_row = [&](const char* what, double n, const std::string& detail) {
    label(what);
    s.count(r, 1, n);
    if (!detail.empty()) s.text(r, 2, detail);
    ++r;
  };
  auto text_row = [&](const char* what, const std::string& value, const std::string& detail) {
    label(what);
    s.text(r, 1, value);
    if (!detail.empty()) s.text(r, 2, detail);
    ++r;
  };
  auto instant_row = [&](const char* what, std::int64_t us, const std::string& detail) {
    label(what);
    s.instant(r, 1, us);
    s.text(r, 2, format_instant(us) + (detail.empty() ? "" : "; " + detail));
    ++r;
  };

  text_row("Programme", src.programme_id, text_at(src.programme, "name"));
  text_row("Coordinator", text_at(src.programme, "coordinator"), "");
  count_row("Position", static_cast<double>(src.position), "the last event the workbook covers");
  if (src.position)
    instant_row("Recorded at (UTC)", src.recorded_at_us, "when that event was recorded");
  else
    text_row("Recorded at (UTC)", "", "the ledger is empty");
  text_row("As of", src.as_of.empty() ? "now" : src.as_of,
           src.as_of.empty() ? "the ledger as it stood when the workbook was written"
                             : "the ledger as it stood then (as_of or at of the request)");
  instant_row("Written at (UTC)", src.written_at_us, "");
  money_row("Fee cap per mentee", cents_of(b, "fee_cap_cents"), "VAT excluded");
  bool vat_eligible = b.at("vat_eligible").get<bool>();
  text_row("VAT eligible", vat_eligible ? "yes" : "no",
           vat_eligible ? "the VAT invoiced, less the VAT credited, is an eligible cost"
                        : "VAT is not an eligible cost: the eligible cost is the net invoiced");
  std::int64_t bp = t.at("cofunding_bp").get<std::int64_t>();
  label("EU co-funding rate");
  s.number(r, 1, static_cast<double>(bp) / 10000.0, f.percent);
  s.text(r, 2, std::to_string(bp) + " basis points");
  ++r;
  count_row("Mentees", static_cast<double>(b.at("mentees").size()), "sheet Budget");
  count_row("Invoices", static_cast<double>(src.invoices.size()), "sheet Invoices, cancelled ones included");
  count_row("Payments", static_cast<double>(payments), "sheet Payments");
  count_row("Credit notes", static_cast<double>(credits), "sheet Credit notes");
  money_row("Agreed", cents_of(t, "agreed_cents"), "fees of the pairs not terminated");
  money_row("Invoiced", cents_of(t, "invoiced_cents"), "invoices not cancelled, VAT excluded");
  money_row("Credited", cents_of(t, "credited_cents"), "credit notes on invoices not cancelled");
  money_row("Net invoiced", cents_of(t, "net_invoiced_cents"), "invoiced less credited: what counts against the caps");
  money_row("Paid", cents_of(t, "paid_cents"), "");
  money_row("Outstanding", cents_of(t, "outstanding_cents"), "net invoiced less paid");
  money_row("VAT invoiced", cents_of(t, "vat_invoiced_cents"), "on invoices not cancelled");
  money_row("VAT credited", cents_of(t, "vat_credited_cents"), "");
  money_row("VAT paid", cents_of(t, "vat_paid_cents"), "");
  money_row("VAT outstanding", cents_of(t, "vat_outstanding_cents"), "VAT invoiced less credited less paid");
  money_row("Eligible", cents_of(t, "eligible_cents"),
            vat_eligible ? "net invoiced, plus VAT invoiced less VAT credited" : "net invoiced");
  money_row("EU share", cents_of(t, "eu_share_cents"), "the eligible cost x the rate, rounded down to the cent");
  money_row("Own share", cents_of(t, "own_share_cents"), "the eligible cost less the EU share");
  money_row("Mentees' EU shares, summed", cents_of(t, "mentee_eu_share_sum_cents"),
            "each mentee's share is rounded down on its own");
  money_row("Rounding difference", cents_of(t, "rounding_difference_cents"),
            "the EU share less the mentees' shares summed");
  money_row("Verified", cents_of(t, "verified_cents"), "the net invoiced of the invoices a controller verified");
  money_row("Certified", cents_of(t, "certified_cents"), "what the verifications certified, less the corrections");
  money_row("Deducted", cents_of(t, "deducted_cents"), "what the verifications deducted");
  money_row("Corrected", cents_of(t, "corrected_cents"), "the financial corrections of findings");
  money_row("Certified EU share", cents_of(t, "certified_eu_share_cents"),
            "the certified expenditure x the rate, rounded down to the cent");
  ++r;
  s.note(r, 2,
         "Amounts in euros, VAT excluded unless the heading says VAT (Eligible includes it where VAT is eligible). "
         "The figures are those of GET /v1/programmes/" +
             src.programme_id + "/budget and GET /v1/invoices/{iid} at the same position.");
  return s.finish(0, false);
}

// An amount column: its heading, the JSON key it shows, and whether the
// programme's totals have it (a mentee's cap and what is left of it are per
// mentee only).
struct Amount {
  const char* heading;
  const char* key;
  bool totalled = true;
};

constexpr Amount kBudgetAmounts[] = {{"Agreed", "agreed_cents"},
                                     {"Invoiced", "invoiced_cents"},
                                     {"Credited", "credited_cents"},
                                     {"Net invoiced", "net_invoiced_cents"},
                                     {"Paid", "paid_cents"},
                                     {"Outstanding", "outstanding_cents"},
                                     {"Fee cap", "cap_cents", false},
                                     {"Left", "left_cents", false},
                                     {"VAT invoiced", "vat_invoiced_cents"},
                                     {"VAT credited", "vat_credited_cents"},
                                     {"VAT paid", "vat_paid_cents"},
                                     {"VAT outstanding", "vat_outstanding_cents"},
                                     {"Eligible", "eligible_cents"},
                                     {"EU share", "eu_share_cents"},
                                     {"Own share", "own_share_cents"},
                                     {"Verified", "verified_cents"},
                                     {"Certified", "certified_cents"},
                                     {"Deducted", "deducted_cents"},
                                     {"Corrected", "corrected_cents"},
                                     {"Certified EU share", "certified_eu_share_cents"}};

constexpr Amount kInvoiceAmounts[] = {{"Net", "net_cents"},           {"VAT", "vat_cents"},
                                      {"Credited", "credited_cents"}, {"VAT credited", "vat_credited_cents"},
                                      {"Paid", "paid_cents"},         {"VAT paid", "vat_paid_cents"},
                                      {"Due", "due_cents"},           {"VAT due", "vat_due_cents"}};

template <std::size_t N>
void add_amounts(std::vector<Column>& columns, const Amount (&amounts)[N]) {
  for (const Amount& a : amounts) columns.push_back({a.heading, Col::money});
}

lxw_error write_budget(lxw_workbook* wb, const Formats& f, const BudgetWorkbookSource& src) {
  std::vector<Column> columns = {
      {"Mentee", Col::text}, {"Name", Col::text}, {"Cluster", Col::text}, {"Country", Col::text}};
  constexpr std::size_t kFirst = 4;  // the first amount's column
  add_amounts(columns, kBudgetAmounts);
  Sheet s(wb, "Budget", f, columns);
  if (!s.ws()) return s.finish(0);
  const json& lines = src.budget.at("mentees");
  std::vector<std::int64_t> sums(std::size(kBudgetAmounts), 0);
  lxw_row_t r = 1;
  for (std::size_t i = 0; i < lines.size(); ++i, ++r) {
    const json& l = lines[i];
    const json& m = src.mentees.at(i);
    s.text(r, 0, text_at(l, "mentee_id"));
    s.text(r, 1, m.value("name", std::string()));
    s.text(r, 2, l.value("name", std::string()));
    s.text(r, 3, text_at(l, "country"));
    for (std::size_t k = 0; k < std::size(kBudgetAmounts); ++k) {
      std::int64_t cents = cents_of(l, kBudgetAmounts[k].key);
      s.money(r, kFirst + k, cents);
      add_to(sums[k], cents);
    }
  }
  lxw_row_t last_line = r - 1;
  // The ledger's totals, as numbers.
  const json& t = src.budget.at("totals");
  s.text(r, 0, "Total", f.bold);
  s.text(r, 1, "the ledger's totals", f.bold);
  for (std::size_t k = 0; k < std::size(kBudgetAmounts); ++k)
    if (kBudgetAmounts[k].totalled) s.money(r, kFirst + k, cents_of(t, kBudgetAmounts[k].key), true);
  ++r;
  // The same columns summed by the spreadsheet: equal to the totals but for
  // the shares, which the ledger rounds on the total (Summary: rounding).
  if (!lines.empty()) {
    s.text(r, 0, "Sum of the lines", f.bold);
    s.text(r, 1, "SUM formulas", f.bold);
    for (std::size_t k = 0; k < std::size(kBudgetAmounts); ++k)
      if (kBudgetAmounts[k].totalled) s.money_sum(r, kFirst + k, 1, last_line, sums[k]);
  }
  return s.finish(last_line);
}

lxw_error write_invoices(lxw_workbook* wb, const Formats& f, const BudgetWorkbookSource& src) {
  std::vector<Column> columns = {{"Invoice", Col::text}, {"Number", Col::text}, {"Pair", Col::text},
                                 {"Mentor", Col::text},  {"Mentee", Col::text}, {"Issue date", Col::date}};
  constexpr std::size_t kFirst = 6;  // the first amount's column
  add_amounts(columns, kInvoiceAmounts);
  constexpr std::size_t kAfter = kFirst + std::size(kInvoiceAmounts);
  columns.insert(columns.end(), {{"Status", Col::text}, {"Position", Col::count}, {"Cancel reason", Col::text}});
  Sheet s(wb, "Invoices", f, columns);
  if (!s.ws()) return s.finish(0);
  lxw_row_t r = 1;
  for (const json& inv : src.invoices) {
    s.text(r, 0, text_at(inv, "id"));
    s.text(r, 1, text_at(inv, "number"));
    s.text(r, 2, text_at(inv, "pair_id"));
    s.text(r, 3, text_at(inv, "mentor_id"));
    s.text(r, 4, text_at(inv, "mentee_id"));
    s.date(r, 5, text_at(inv, "issue_date"));
    for (std::size_t k = 0; k < std::size(kInvoiceAmounts); ++k)
      s.money(r, kFirst + k, cents_of(inv, kInvoiceAmounts[k].key));
    s.text(r, kAfter, invoice_status(inv));
    s.count(r, kAfter + 1, static_cast<double>(inv.value("position", std::uint64_t{0})));
    if (inv.contains("cancel_reason")) s.text(r, kAfter + 2, text_at(inv, "cancel_reason"));
    ++r;
  }
  return s.finish(r - 1);
}

lxw_error write_payments(lxw_workbook* wb, const Formats& f, const std::vector<MovementRow>& payments) {
  Sheet s(wb, "Payments", f,
          {{"Invoice", Col::text},
           {"Number", Col::text},
           {"Mentor", Col::text},
           {"Mentee", Col::text},
           {"Paid date", Col::date},
           {"Amount", Col::money},
           {"VAT", Col::money},
           {"Position", Col::count}});
  if (!s.ws()) return s.finish(0);
  lxw_row_t r = 1;
  for (const MovementRow& m : payments) {
    s.text(r, 0, text_at(*m.invoice, "id"));
    s.text(r, 1, text_at(*m.invoice, "number"));
    s.text(r, 2, text_at(*m.invoice, "mentor_id"));
    s.text(r, 3, text_at(*m.invoice, "mentee_id"));
    s.date(r, 4, text_at(*m.item, "paid_date"));
    s.money(r, 5, cents_of(*m.item, "amount_cents"));
    s.money(r, 6, cents_of(*m.item, "vat_cents"));
    s.count(r, 7, static_cast<double>(m.position));
    ++r;
  }
  return s.finish(r - 1);
}

lxw_error write_credits(lxw_workbook* wb, const Formats& f, const std::vector<MovementRow>& credits) {
  Sheet s(wb, "Credit notes", f,
          {{"Credit note", Col::text},
           {"Invoice", Col::text},
           {"Number", Col::text},
           {"Mentor", Col::text},
           {"Mentee", Col::text},
           {"Amount", Col::money},
           {"VAT", Col::money},
           {"Reason", Col::text},
           {"Position", Col::count}});
  if (!s.ws()) return s.finish(0);
  lxw_row_t r = 1;
  for (const MovementRow& m : credits) {
    s.text(r, 0, text_at(*m.item, "id"));
    s.text(r, 1, text_at(*m.invoice, "id"));
    s.text(r, 2, text_at(*m.invoice, "number"));
    s.text(r, 3, text_at(*m.invoice, "mentor_id"));
    s.text(r, 4, text_at(*m.invoice, "mentee_id"));
    s.money(r, 5, cents_of(*m.item, "amount_cents"));
    s.money(r, 6, cents_of(*m.item, "vat_cents"));
    s.text(r, 7, text_at(*m.item, "reason"));
    s.count(r, 8, static_cast<double>(m.position));
    ++r;
  }
  return s.finish(r - 1);
}

}  // namespace

Status write_budget_workbook(const BudgetWorkbookSource& src, const std::string& path, const std::string& tmp_dir) {
  lxw_workbook_options options{};
  options.tmpdir = tmp_dir.empty() ? nullptr : const_cast<char*>(tmp_dir.c_str());
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &options);
  if (!wb) return Status::unavailable("the workbook could not be started (out of memory?)");
  lxw_error err = LXW_NO_ERROR;
  try {
    std::string title = "Budget of " + src.programme_id;
    lxw_doc_properties props{};
    props.title = title.data();
    props.subject = const_cast<char*>("Budget per mentee, invoices, payments and credit notes");
    props.company = const_cast<char*>("Programme Ledger");
    props.created = static_cast<time_t>(src.written_at_us / 1'000'000);
    err = workbook_set_properties(wb, &props);
    Formats f(wb);
    std::vector<MovementRow> payments = movements(src.invoices, "payments");
    std::vector<MovementRow> credits = movements(src.invoices, "credit_notes");
    for (lxw_error e : {write_summary(wb, f, src, payments.size(), credits.size()), write_budget(wb, f, src),
                        write_invoices(wb, f, src), write_payments(wb, f, payments), write_credits(wb, f, credits)})
      if (err == LXW_NO_ERROR) err = e;
  } catch (const json::exception& e) {
    (void)workbook_close(wb);
    return Status::internal(std::string("the workbook's source is not what the API renders: ") + e.what());
  } catch (const std::exception& e) {  // out of memory, say: the worker's job must not throw
    (void)workbook_close(wb);
    return Status::unavailable(std::string("writing the workbook failed: ") + e.what());
  }
  lxw_error closed = workbook_close(wb);  // writes the file, and frees the workbook either way
  if (err == LXW_NO_ERROR) err = closed;
  if (err != LXW_NO_ERROR) return Status::unavailable(std::string("writing the workbook failed: ") + lxw_strerror(err));
  return Status::ok();
}

Result<std::shared_ptr<std::FILE>> budget_workbook_file(const BudgetWorkbookSource& src, const std::string& tmp_dir) {
  std::string dir = tmp_dir;
  if (dir.empty()) {
    std::error_code ec;
    dir = std::filesystem::temp_directory_path(ec).string();
    if (ec) return Status::unavailable("no temporary directory for the workbook: " + ec.message());
  }
  std::string path = dir + "/ledger-budget-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return Status::unavailable("no temporary file for the workbook in " + dir + ": " + std::strerror(errno));
  // libxlsxwriter writes the file by its name; the descriptor taken here
  // reads it back once the name is gone.
  Status st = write_budget_workbook(src, path, dir);
  ::unlink(path.c_str());
  if (!st) {
    ::close(fd);
    return st;
  }
  std::FILE* f = ::fdopen(fd, "rb");
  if (!f) {
    ::close(fd);
    return Status::unavailable(std::string("reading the workbook back failed: ") + std::strerror(errno));
  }
  return std::shared_ptr<std::FILE>(f, [](std::FILE* file) { std::fclose(file); });
}

}  // namespace pl
