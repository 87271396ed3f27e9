// The finance workbook of a programme (GET /v1/programmes/{pid}/budget.xlsx):
// the budget per mentee, the invoices, the payments and the credit notes as
// an Excel workbook, written with libxlsxwriter.
//
//   Summary       what the workbook is of (programme, position, recorded-at,
//                 as of), the rules' cap, VAT eligibility and rate, and the
//                 programme's totals
//   Budget        one row per mentee, net and VAT figures, eligible cost and
//                 shares; a row of the ledger's totals, and a row of SUM
//                 formulas over the lines (their results cached)
//   Invoices      one row per invoice, in the order issued
//   Payments      one row per payment, in position order
//   Credit notes  one row per credit note, in position order
//
// Every figure is taken from the JSON the API answers for the same read
// models (budget_answer, invoice_json, mentee_json), so the workbook and the
// API cannot disagree. Money is written as a number of euros (cents / 100)
// with a currency format, dates as Excel dates, instants as Excel date-times
// in UTC. Header rows are bold and frozen.
//
// The source is gathered from the read models (cheap, like the budget's JSON);
// the workbook is written from the source alone, on any thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "read/read_models.h"

namespace pl {

inline constexpr const char* kXlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// What a workbook is made of: the API's renderings of one programme at one
// point of the ledger.
struct BudgetWorkbookSource {
  std::string programme_id;
  nlohmann::json programme;  // programme_json
  nlohmann::json budget;     // budget_answer, without explain
  nlohmann::json mentees;    // mentee_json of each mentee, in the budget's order
  nlohmann::json invoices;   // invoice_json of each invoice, in the order issued
  std::uint64_t position = 0;
  std::int64_t recorded_at_us = 0;  // of the event at `position`
  std::string as_of;                // what the caller asked for: "" (now), an instant, "position N"
  std::int64_t written_at_us = 0;   // when the workbook is written
};

// The source of programme `programme_id`'s workbook from `rm`. REQUIRES: the
// programme exists in `rm`.
BudgetWorkbookSource budget_workbook_source(const ReadModels& rm, const std::string& programme_id);

// Writes the workbook to `path` (created or truncated); libxlsxwriter's own
// scratch files go to `tmp_dir` (empty: the system's). An error of
// libxlsxwriter or of the file system is a Status, with no file promised.
Status write_budget_workbook(const BudgetWorkbookSource& src, const std::string& path, const std::string& tmp_dir = {});

// Writes the workbook into a temporary file under `tmp_dir` (empty: the
// system's), removes its name, and gives it open for reading from its start:
// once the last holder closes it, nothing is left on disk.
Result<std::shared_ptr<std::FILE>> budget_workbook_file(const BudgetWorkbookSource& src,
                                                        const std::string& tmp_dir = {});

}  // namespace pl
