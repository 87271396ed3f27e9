#!/usr/bin/env python3
"""Writes scripts/demo/demo.json: the demonstration history of two editions.

The facts come from the programme's public sources (docs/PROGRAMME.md names the
source of each): the 2019 call for European mentors with its Annex I, the 2021
"Cluster Mentoring Reloaded" press release (EN and FR), and two texts on the
benchmarking tours.

- 2019 (France Clusters): the 26 Annex I beneficiaries; European mentors (the
  EU-28 of March 2019, the United Kingdom included, and the EEA and
  Switzerland); deadline 2019-03-15 23:59:59 CET; 32 hours and EUR 3,100 (VAT
  excluded) per mentee; 6 to 12 months per pair; four 5-day benchmarking tours,
  2 of 4 per South-Med cluster manager: Catalonia (ACCIÓ, November 2018),
  Piedmont, Wallonia (AWEX with France Clusters, from Monday 28 October 2019)
  and Région Sud (France Clusters with risingSUD, 2020). The programme opens in
  the ledger in autumn 2018, before the Catalonia tour.
- 2021 "Cluster Mentoring Reloaded" (ACCIÓ): 13 pairs from 20 January 2021 to
  October 2021; 6 practitioners from 4 Moroccan clusters and 7 clusters from
  Egypt, Palestine, Tunisia and Jordan; 13 mentors from France, Italy,
  Palestine and Spain; three joint meetings; fully online, bilateral and group
  sessions.

Every mentee gets a needs diagnosis after enrolment; each pair's mentor is the
accepted mentor whose offered knowledge areas overlap the mentee's needs most
(then the lightest load), and the pair's topics are that overlap, but for one
pair per edition assigned with an explicit override reason.

Every person, mentor organisation, diagnosis, session, invoice and figure the
sources do not give is invented, deterministic (seeded), and listed under
"fictional"; rules and facts the sources do not give are listed under
"assumptions"; where the sources disagree, "notes" says so and what was chosen.
Each step carries the instant the ledger records it at (the demo loader's
simulated clock): an application when it was received, a session the day after
it took place.

Run: python3 scripts/demo/make_demo.py   (writes scripts/demo/demo.json)
"""
import calendar
import csv
import hashlib
import datetime as dt
import json
import os
import random
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(2019)
steps = []
fictional = []

# The call's knowledge areas, in its order ("Other topics" last).
AREAS = ["strategy", "financing model & sustainability", "communication & branding", "member engagement",
         "service portfolio", "governance", "management of the team", "monitoring, evaluation & impact",
         "cross-sector cooperation & inter-clustering", "other"]
# "European" mentors in 2019: the 28 member states of March 2019 (the United
# Kingdom left on 31 January 2020), the EEA states outside the EU and Switzerland.
EU28_2019 = ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
             "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "GB"]
EEA_CH = ["IS", "LI", "NO", "CH"]
EUROPEAN_2019 = sorted(EU28_2019 + EEA_CH)
# Standard VAT rates of the countries of the two coordinators (assumption: the
# mentors invoice the coordinator of their edition).
VAT_RATE_PERCENT = {"FR": 20, "ES": 21}
FIRST = ["Amina", "Karim", "Leila", "Youssef", "Salma", "Omar", "Nour", "Hassan", "Rania", "Tarek", "Samir", "Dina",
         "Ines", "Walid", "Hana", "Ziad", "Meriem", "Fares", "Lina", "Adel", "Sara", "Nabil", "Yasmine", "Khaled",
         "Mona", "Rami", "Sofia", "Marco", "Elena", "Pierre", "Claire", "Javier", "Lucia", "Hans", "Anna", "Joao",
         "Eleni", "Luc", "Giulia", "Miguel", "Chloe", "Paolo", "Marta", "Thomas", "Ana", "Nikos", "Sophie", "Jordi"]
LAST = ["Benali", "Haddad", "Mansour", "Saleh", "Khoury", "Nasser", "Amrani", "Trabelsi", "Fakhoury", "Zidane",
        "Rossi", "Dubois", "Garcia", "Muller", "Silva", "Papadopoulos", "Janssens", "Ferrari", "Moreau", "Lopez",
        "Bianchi", "Martin", "Puig", "Costa", "Weber", "Lambert", "Romano", "Fernandez", "Bernard", "Vidal"]


def person():
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    fictional.append(name)
    return name


def at(d, hour=10):
    """An instant on business date d (a date), in UTC."""
    return dt.datetime(d.year, d.month, d.day, hour, rng.randrange(0, 60), rng.randrange(0, 60),
                       tzinfo=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def step(when, actor, command, params, body):
    steps.append({"at": when, "actor": actor, "command": command, "params": params, "body": body})


def D(s):
    return dt.date.fromisoformat(s)


def add_months(d, n):
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def in_area_order(areas):
    return sorted(areas, key=AREAS.index)


def vat_of(net_cents, mentor_country, coordinator_country):
    """VAT charged by the mentor: the coordinator's national rate when both are
    established in the same country; otherwise none (reverse charge)."""
    if mentor_country != coordinator_country:
        return 0
    return net_cents * VAT_RATE_PERCENT[coordinator_country] // 100


DIAGNOSIS_NOTES = [
    "Needs diagnosis interview with the cluster manager and the board.",
    "Needs diagnosis from the self-assessment questionnaire and an interview.",
    "Needs diagnosis with the cluster team; priorities ranked by the manager.",
]


def diagnose(pid, rows, when):
    """A needs diagnosis for every mentee (fictional areas, seeded)."""
    needs = {}
    for r in rows:
        areas = in_area_order(rng.sample(AREAS[:9], 3))
        needs[r["mentee_id"]] = areas
        note = rng.choice(DIAGNOSIS_NOTES)
        if "(to be confirmed)" in r["cluster_name"]:
            note += " The cluster's participation is still to be confirmed (Annex I)."
        step(at(when, 14), "coordinator", "diagnose_needs", {"mid": r["mentee_id"]}, {"areas": areas, "note": note})
    return needs


def edition(pid, name, coordinator, coordinator_country, opened, diagnosed, deadline, mentee_rows,
            mentor_countries_rule, mentor_plan, before_applications=lambda: None):
    rules = {
        "hour_cap_minutes": 32 * 60, "fee_cap_cents": 310000, "min_months": 6, "max_months": 12,
        "application_deadline": deadline, "cofunding_bp": 9000,
        "mentee_countries": sorted({r["country"] for r in mentee_rows}),
        "mentor_countries": mentor_countries_rule, "knowledge_areas": AREAS, "expert_min_years": 5,
        "max_tours_per_mentee": 2, "vat_eligible": False,
        # The evidence a payment and a completed pair need (docs/CONTROL.md);
        # retention_years is left to its default, 5.
        "evidence_required": ["payment:invoice", "payment:proof_of_payment", "completion:report"],
    }
    step(at(opened, 9), "coordinator", "open_programme", {},
         dict(id=pid, name=name, coordinator=coordinator, **rules))
    for r in mentee_rows:
        step(at(opened + dt.timedelta(days=1), 11), "coordinator", "enrol_mentee", {"pid": pid},
             {"id": r["mentee_id"], "name": person(), "cluster_name": r["cluster_name"], "sectors": r["sectors"],
              "country": r["country"], "website": r["website"]})
    needs = diagnose(pid, mentee_rows, diagnosed)
    before_applications()
    # Mentor applications, received before the deadline.
    dl = dt.datetime.fromisoformat(deadline).astimezone(dt.timezone.utc).date()
    mentors = []
    for i, country in enumerate(mentor_plan):
        aid = f"{pid}-app-{i + 1:02d}"
        profile = "expert" if i % 4 == 3 else "cluster_manager"
        received = dl - dt.timedelta(days=40 - i * 2)
        quotation = 310000 if i % 3 else 280000
        when = at(received, 14)
        offered = in_area_order(rng.sample(AREAS[:9], 3))
        step(when, "coordinator", "submit_application", {"pid": pid},
             {"id": aid, "applicant_name": person(), "organisation": f"{country} cluster organisation {i + 1} (fictional)",
              "email": f"mentor{i + 1}@{pid}.example", "country": country, "profile": profile,
              "years_experience": 6 + i % 9, "knowledge_areas": offered,
              "quotation_cents": quotation, "received_at": when})
        mentors.append({"aid": aid, "id": f"{pid}-mentor-{i + 1:02d}", "quotation": quotation, "country": country,
                        "offered": offered, "load": 0})
    # Two extra applications that are rejected.
    for j in range(2):
        aid = f"{pid}-app-r{j + 1}"
        received = dl - dt.timedelta(days=5 + j)
        when = at(received, 15)
        step(when, "coordinator", "submit_application", {"pid": pid},
             {"id": aid, "applicant_name": person(), "organisation": "Consultancy (fictional)",
              "email": f"rejected{j + 1}@{pid}.example", "country": mentor_plan[j], "profile": "cluster_manager",
              "years_experience": 2, "knowledge_areas": ["other"], "quotation_cents": 300000,
              "received_at": when})
    review = dl + dt.timedelta(days=10)
    for m in mentors:
        step(at(review, 10), "coordinator", "accept_application", {"aid": m["aid"]}, {"mentor_id": m["id"]})
    for j in range(2):
        step(at(review, 11), "coordinator", "reject_application", {"aid": f"{pid}-app-r{j + 1}"},
             {"reason": "the knowledge areas offered do not match the mentees' needs"})
    return {"pid": pid, "coordinator_country": coordinator_country, "rows": mentee_rows, "needs": needs,
            "mentors": mentors}


def overlap(needs, mentor):
    return [a for a in needs if a in mentor["offered"]]


def match(ed, max_load):
    """For each mentee in turn, the accepted mentor with the most overlap between
    offered areas and needs, then the lightest load, then the first id (what
    GET /v1/mentees/{mid}/mentor-suggestions ranks first); no mentor above
    max_load mentees. Then swaps mentors between two pairs while that gives both
    an overlap (so that a mentee left without one gets one)."""
    chosen = {}
    for r in ed["rows"]:
        needs = ed["needs"][r["mentee_id"]]
        free = [m for m in ed["mentors"] if m["load"] < max_load]
        best = min(free, key=lambda m: (-len(overlap(needs, m)), m["load"], m["id"]))
        best["load"] += 1
        chosen[r["mentee_id"]] = best
    ids = [r["mentee_id"] for r in ed["rows"]]
    for a in ids:
        if overlap(ed["needs"][a], chosen[a]):
            continue
        for b in ids:
            ma, mb = chosen[a], chosen[b]
            if overlap(ed["needs"][a], mb) and overlap(ed["needs"][b], ma):
                chosen[a], chosen[b] = mb, ma
                break
    return chosen


def run_pairs(ed, start, end, modes, formats, joint_meetings, max_load, override, special):
    """Assigns one pair per mentee, logs sessions, invoices, reports; `special` bends a few stories.

    override: None, or (mentee id, reason): that pair's topic is one the mentor offers and
    the diagnosis did not name, assigned with the reason."""
    pid = ed["pid"]
    chosen = match(ed, max_load)
    assigned = start - dt.timedelta(days=10)
    pairs = []
    for i, r in enumerate(ed["rows"]):
        mentee = r["mentee_id"]
        m = chosen[mentee]
        needs = ed["needs"][mentee]
        pair_id = f"{pid}-p{i + 1:02d}"
        body = {"id": pair_id, "mentor_id": m["id"], "mentee_id": mentee, "start_date": start.isoformat(),
                "end_date": end.isoformat(), "agreed_fee_cents": m["quotation"]}
        if override and mentee == override[0]:
            topics = [a for a in m["offered"] if a not in needs][:1]
            body["override_reason"] = override[1]
        else:
            topics = overlap(needs, m)[:2]
            assert topics, f"{pair_id}: no overlap between {needs} and {m['offered']}"
        body["topics"] = topics
        step(at(assigned, 9), "coordinator", "assign_pair", {"pid": pid}, body)
        pairs.append({"id": pair_id, "mentor": m["id"], "mentor_country": m["country"], "mentee": mentee,
                      "fee": m["quotation"], "topics": topics, "used": 0})
    # Sessions: one a month or so, the day after it took place is when it is recorded.
    timeline = []
    for p in pairs:
        n = rng.randrange(6, 11)
        days = sorted(rng.sample(range(3, (end - start).days - 20), n))
        for k, off in enumerate(days):
            d = start + dt.timedelta(days=off)
            minutes = rng.choice([90, 120, 150, 180, 210, 240])
            timeline.append((d, p, k, minutes))
    timeline.sort(key=lambda t: (t[0], t[1]["id"], t[2]))
    for d, p, k, minutes in timeline:
        if p.get("stopped"):
            continue
        if p["used"] + minutes > 32 * 60:
            continue
        sid = f"s{k + 1:02d}"
        p["used"] += minutes
        step(at(d + dt.timedelta(days=1), 9), "coordinator", "log_session", {"pair": p["id"]},
             {"id": sid, "date": d.isoformat(), "minutes": minutes, "mode": rng.choice(modes),
              "format": rng.choice(formats), "topics": rng.sample(p["topics"], 1),
              "summary": f"Session {k + 1}: worked on the action plan with the cluster manager."})
        special.get("after_session", lambda *a: None)(p, sid, d, minutes)
    for d, title in joint_meetings:
        step(at(d, 16), "coordinator", "hold_joint_meeting", {"pid": pid},
             {"date": d.isoformat(), "title": title, "pair_ids": [p["id"] for p in pairs if not p.get("stopped")]})
    # Invoices: half the fee at mid-term, the rest at the end; paid a month later,
    # VAT included when the mentor charges it.
    cc = ed["coordinator_country"]
    mid = start + (end - start) / 2
    for i, p in enumerate(pairs):
        if p.get("stopped"):
            continue
        half = p["fee"] // 2
        vat = vat_of(half, p["mentor_country"], cc)
        number = f"{p['mentor'].upper()}-{mid.year}-{i + 1:02d}A"
        inv = f"{p['id']}-inv-1"
        step(at(mid + dt.timedelta(days=2), 11), "finance", "issue_invoice", {"pair": p["id"]},
             {"id": inv, "number": number, "issue_date": mid.isoformat(), "net_cents": half, "vat_cents": vat})
        step(at(mid + dt.timedelta(days=32), 11), "finance", "pay_invoice", {"iid": inv},
             {"paid_date": (mid + dt.timedelta(days=31)).isoformat(), "amount_cents": half, "vat_cents": vat})
        special.get("after_first_invoice", lambda *a: None)(p, inv, mid, i)
    close = end + dt.timedelta(days=5)
    for i, p in enumerate(pairs):
        if p.get("stopped"):
            continue
        step(at(close, 10), "coordinator", "submit_report", {"pair": p["id"]},
             {"language": "en", "topics": p["topics"],
              "progress": "The cluster adopted a revised strategy and a member-services plan.",
              "outcomes": "Two new services launched; a partnership with a European cluster under discussion."})
        rest = p["fee"] - p["fee"] // 2
        vat = vat_of(rest, p["mentor_country"], cc)
        inv = f"{p['id']}-inv-2"
        step(at(close + dt.timedelta(days=3), 11), "finance", "issue_invoice", {"pair": p["id"]},
             {"id": inv, "number": f"{p['mentor'].upper()}-{close.year}-{i + 1:02d}B",
              "issue_date": (close + dt.timedelta(days=2)).isoformat(), "net_cents": rest, "vat_cents": vat})
        if i % 4 != 1:  # a few final invoices are still unpaid
            step(at(close + dt.timedelta(days=33), 11), "finance", "pay_invoice", {"iid": inv},
                 {"paid_date": (close + dt.timedelta(days=32)).isoformat(), "amount_cents": rest, "vat_cents": vat})
        if i % 5 != 2:
            step(at(close + dt.timedelta(days=34), 12), "coordinator", "complete_pair", {"pair": p["id"]}, {})
    return pairs


# ---- The control of spending (docs/CONTROL.md): evidence documents, and the
# 2019 edition's control round.
def ascii_text(t):
    return unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")


def pdf_document(title, lines):
    """A small one-page PDF (1.4, Helvetica) with a title and lines of text."""
    def esc(t):
        return ascii_text(t).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = "BT /F1 14 Tf 56 780 Td 18 TL (" + esc(title) + ") Tj /F1 10 Tf T*" + "".join(
        " T* (" + esc(line) + ") Tj" for line in lines) + " ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>",
               "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               "/Contents 5 0 R >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               f"<< /Length {len(content)} >>\nstream\n{content}\nendstream"]
    out, offsets = "%PDF-1.4\n", []
    for i, o in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out


def later(when, minutes):
    t = dt.datetime.strptime(when, "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def attach_document(when, actor, command, params, kind, filename, content_type, text):
    """Uploads a document (a demo step of its own, no event) and attaches it."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    step(when, actor, "upload_evidence", {}, {"filename": filename, "content_type": content_type, "text": text})
    step(when, actor, command, params, {"sha256": sha, "kind": kind})


def evidence_documents(skip_invoice, skip_proof, skip_report):
    """The documents of every invoice, payment and completed pair, as finance
    and the coordinator attach them; the ids in the skip sets are left
    without one, so that the evidence gaps have something to show."""
    invoices = {}
    for s in list(steps):
        c, when = s["command"], s["at"]
        if c == "issue_invoice":
            b = s["body"]
            invoices[b["id"]] = b
            if b["id"] in skip_invoice:
                continue
            lines = [f"Invoice {b['number']} of {b['issue_date']}", f"Mentoring fee, pair {s['params']['pair']}",
                     f"Amount VAT excluded: EUR {b['net_cents'] / 100:,.2f}",
                     f"VAT: EUR {b['vat_cents'] / 100:,.2f}" if b["vat_cents"] else "VAT: reverse charge"]
            attach_document(later(when, 5), "finance", "attach_invoice_evidence", {"iid": b["id"]}, "invoice",
                            f"invoice-{b['number']}.pdf", "application/pdf", pdf_document("Invoice", lines))
        elif c == "pay_invoice":
            iid, b = s["params"]["iid"], s["body"]
            if iid in skip_proof:
                continue
            text = (f"Bank statement extract\nValue date: {b['paid_date']}\nTransfer to the mentor for invoice "
                    f"{invoices[iid]['number']}\nAmount: EUR {(b['amount_cents'] + b.get('vat_cents', 0)) / 100:,.2f}\n")
            attach_document(later(when, 5), "finance", "attach_invoice_evidence", {"iid": iid}, "proof_of_payment",
                            f"transfer-{invoices[iid]['number']}.txt", "text/plain; charset=utf-8", text)
        elif c == "complete_pair":
            pair = s["params"]["pair"]
            if pair in skip_report:
                continue
            attach_document(later(when, 5), "coordinator", "attach_pair_evidence", {"pair": pair}, "report",
                            f"final-report-{pair}.pdf", "application/pdf",
                            pdf_document("Final report", [f"Pair {pair}", "Progress and outcomes as submitted."]))


def control_2019(pid):
    """The 2019 edition's control round, after its last payments: a
    monetary-unit sample of the paid invoices, every paid invoice verified
    (one deduction), and a finding of the audit authority with its
    correction. The controller is never the one who recorded an invoice or
    a payment (four eyes): demo-controller against demo-finance."""
    net, paid = {}, set()
    for s in steps:
        c, b = s["command"], s["body"]
        if c == "issue_invoice" and s["params"]["pair"].startswith(pid):
            net[b["id"]] = b["net_cents"]
        elif c == "issue_credit_note" and b.get("id") and s["params"]["iid"] in net:
            net[s["params"]["iid"]] -= b["amount_cents"]
        elif c == "cancel_invoice":
            net.pop(s["params"]["iid"], None)
        elif c == "pay_invoice" and s["params"]["iid"] in net:
            paid.add(s["params"]["iid"])
    verified = sorted(i for i in paid if i in net)
    # The sample is requested, and drawn once an event has followed the
    # request: its seed is that event's hash (docs/CONTROL.md).
    step("2020-04-14T09:12:40Z", "controller", "request_sample", {"pid": pid},
         {"id": f"{pid}-s1", "population": "invoices_paid", "method": "monetary_unit", "size": 6,
          "reason": "the yearly sample of the expenditure paid, before the first declaration to the funder"})
    step("2020-04-15T09:30:00Z", "controller", "draw_sample", {"pid": pid, "sid": f"{pid}-s1"}, {})
    deduct = verified[3]
    for k, iid in enumerate(verified):
        when = (dt.datetime(2020, 4, 15, 9, 0, tzinfo=dt.timezone.utc) + dt.timedelta(hours=5 * k)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        body = {"certified_cents": net[iid], "deducted_cents": 0}
        if iid == deduct:
            body = {"certified_cents": net[iid] - 15000, "deducted_cents": 15000, "error_type": "outside_period",
                    "note": "one session of 2 hours was held after the pair's period had ended"}
        step(when, "controller", "verify_expenditure", {"iid": iid}, body)
    found = verified[7]
    step("2020-09-10T10:30:00Z", "controller", "record_finding", {"pid": pid},
         {"id": f"{pid}-f1", "source": "audit_authority", "invoice_id": found, "positions": [],
          "_positions_of": [["issue_invoice", found], ["pay_invoice", found]],
          "error_type": "double_funding", "amount_cents": 20000,
          "description": "two days of the same mission were also claimed under another grant"})
    step("2020-09-21T14:05:00Z", "finance", "apply_correction", {"fid": f"{pid}-f1"},
         {"id": f"{pid}-c1", "amount_cents": 20000, "reason": "the audit authority's finding, accepted"})


def resolve_positions():
    """Fills in a finding's positions once the steps are in order: each
    command records one event, an upload none."""
    position, first = 0, {}
    for s in steps:
        if s["command"] == "upload_evidence":
            continue
        position += 1
        key = (s["command"], s["params"].get("iid") or s["body"].get("id"))
        first.setdefault(key, position)
    for s in steps:
        refs = s["body"].pop("_positions_of", None)
        if refs:
            s["body"]["positions"] = [first[(c, i)] for c, i in refs]


# ---- The benchmarking tours of the 2019 edition

def tours_2019(pid, by_id):
    """Schedules the four tours and registers who went. Mentees are South-Med
    cluster managers (2 tours of 4 at most); the others are cluster
    representatives and network managers (fictional people)."""
    tours = [
        {"id": "tour-catalonia", "region": "Catalonia (Spain)", "host": "ACCIÓ (Catalonia Trade & Investment)",
         "start": D("2018-11-19"), "topics": [],
         "mentees": ["algeria-digital-cluster", "egypt-renewable-energy-cluster-initiative", "intaj",
                     "menara-cluster", "house-of-furniture", "cluster-mecatronic-tunisie"],
         "others": [("cluster_representative", "AGRINOVA", "MA")]},
        {"id": "tour-piedmont", "region": "Piedmont (Italy)",
         "host": "Piedmont's regional agency for the internationalisation of enterprises "
                 "(assumption: the sources do not name it)",
         "start": D("2019-05-13"), "topics": [],
         "mentees": ["borg-ai-arab-innovation-cluster", "oasis500", "beirut-creative-cluster", "agrinova",
                     "cluster-north-west-olive-oil"],
         "others": [("network_manager", "Moroccan cluster network (fictional)", "MA")]},
        {"id": "tour-wallonia", "region": "Wallonia (Belgium)", "host": "AWEX with France Clusters",
         "start": D("2019-10-28"),
         "topics": ["cluster governance", "members engagement", "international network development"],
         "mentees": ["egypt-renewable-energy-cluster-initiative", "oasis500", "maroc-numeric-cluster",
                     "cluster-of-moroccan-technical-textiles", "hebron-leather-and-shoe-cluster",
                     "date-and-palm-cluster", "cluster-dates-palms", "sahel-technical-textile-cluster"],
         "others": [("cluster_representative", "Borg-AI Arab innovation cluster", "EG"),
                    ("cluster_representative", "Electronic and Mechatronic Cluster of Morocco (CE3M)", "MA"),
                    ("cluster_representative", "Pole de compétitivité de Bizerte", "TN"),
                    ("network_manager", "Jordanian cluster network (fictional)", "JO")]},
        {"id": "tour-region-sud", "region": "Région Sud Provence-Alpes-Côte d'Azur (France)",
         "host": "France Clusters with risingSUD", "start": D("2020-02-03"), "topics": [],
         "mentees": ["intaj", "beirut-creative-cluster", "moroccan-solar-cluster", "cise",
                     "stone-marble-cluster", "cluster-primeurs-du-sud"],
         "others": [("cluster_representative", "Tourism & Arts Jerusalem (TAJ)", "PS")]},
    ]
    count = {}
    for t in tours:
        step(at(t["start"] - dt.timedelta(days=30), 9), "coordinator", "schedule_tour", {"pid": pid},
             {"id": t["id"], "region": t["region"], "host": t["host"], "start_date": t["start"].isoformat(),
              "end_date": (t["start"] + dt.timedelta(days=4)).isoformat(), "topics": t["topics"]})
        for m in t["mentees"]:
            assert m in by_id
            count[m] = count.get(m, 0) + 1
            assert count[m] <= 2, m
            step(at(t["start"] - dt.timedelta(days=20), 10), "coordinator", "register_tour_participant",
                 {"tid": t["id"]}, {"mentee_id": m})
        per_kind = {}
        for kind, organisation, country in t["others"]:
            k = per_kind[kind] = per_kind.get(kind, 0) + 1
            step(at(t["start"] - dt.timedelta(days=19), 10), "coordinator", "register_tour_participant",
                 {"tid": t["id"]},
                 {"kind": kind, "participant_id": f"{t['id']}-{kind.replace('_', '-')}-{k}", "name": person(),
                  "organisation": organisation, "country": country})
    wallonia = tours[2]
    assert len(wallonia["mentees"]) + len(wallonia["others"]) == 12
    assert {by_id[m]["country"] for m in wallonia["mentees"]} | {c for _, _, c in wallonia["others"]} == \
        {"EG", "JO", "MA", "PS", "TN"}
    return tours


def story_2019(ed, start, end, by_id):
    pid = ed["pid"]
    stopped = {}

    def after_session(p, sid, d, minutes):
        # One session logged twice by mistake, then voided.
        if p["id"] == f"{pid}-p03" and sid == "s02":
            step(at(d + dt.timedelta(days=1), 12), "coordinator", "log_session", {"pair": p["id"]},
                 {"id": "s02-dup", "date": d.isoformat(), "minutes": minutes, "mode": "remote", "format": "bilateral",
                  "topics": p["topics"][:1], "summary": "Logged twice by mistake."})
            step(at(d + dt.timedelta(days=3), 9), "coordinator", "void_session", {"pair": p["id"], "sid": "s02-dup"},
                 {"reason": "the same session was logged twice"})
        # One pair ends early, after its first session from mid-July (the dashboard's
        # tests see it active on 2019-06-30): the mentor left the cluster.
        if p["id"] == f"{pid}-p07" and d >= D("2019-07-15"):
            step(at(d + dt.timedelta(days=10), 9), "coordinator", "terminate_pair", {"pair": p["id"]},
                 {"reason": "the mentor left their cluster organisation"})
            p["stopped"] = True
            stopped[p["id"]] = (p, d)

    cc = ed["coordinator_country"]

    def after_first_invoice(p, inv, mid, i):
        if i == 1:  # an invoice with the wrong amount, cancelled before payment and reissued
            step(at(mid + dt.timedelta(days=3), 9), "finance", "issue_invoice", {"pair": p["id"]},
                 {"id": f"{p['id']}-inv-x", "number": f"{p['mentor'].upper()}-{mid.year}-{i + 1:02d}X",
                  "issue_date": mid.isoformat(), "net_cents": 1000, "vat_cents": vat_of(1000, p["mentor_country"], cc)})
            step(at(mid + dt.timedelta(days=4), 9), "finance", "cancel_invoice", {"iid": f"{p['id']}-inv-x"},
                 {"reason": "issued with the wrong amount"})

    # 2019's pair with an override is the follow-up pair below.
    pairs = run_pairs(ed, start, end, ["remote", "remote", "in_person"], ["bilateral"],
                      [(D("2019-06-20"), "Mid-term exchange of mentors and mentees")], 2, None,
                      {"after_session": after_session, "after_first_invoice": after_first_invoice})
    # The credit note: on a final invoice with VAT, before it is paid; its VAT in proportion.
    p = next(p for i, p in enumerate(pairs)
             if i % 4 != 1 and not p.get("stopped") and p["mentor_country"] == ed["coordinator_country"])
    inv = f"{p['id']}-inv-2"
    for k, s in enumerate(steps):
        if s["command"] == "issue_invoice" and s["body"]["id"] == inv:
            credit = 15500
            credit_vat = credit * s["body"]["vat_cents"] // s["body"]["net_cents"]
            steps.insert(k + 1, {"at": s["at"].replace("T11", "T15"), "actor": "finance", "command": "issue_credit_note",
                                 "params": {"iid": inv},
                                 "body": {"id": f"{p['id']}-cn-1", "amount_cents": credit, "vat_cents": credit_vat,
                                          "reason": "one session of the plan was not held"}})
            for j in range(k + 2, len(steps)):
                if steps[j]["command"] == "pay_invoice" and steps[j]["params"]["iid"] == inv:
                    steps[j]["body"]["amount_cents"] -= credit
                    steps[j]["body"]["vat_cents"] -= credit_vat
            break
    # The mentee of the terminated pair continues with another mentor, at once,
    # on a topic its diagnosis did not name: an explicit override.
    for pair_id, (p, d) in stopped.items():
        m = ed["mentors"][-1]
        needs = ed["needs"][p["mentee"]]
        topic = [a for a in m["offered"] if a not in needs][0]
        new_start = d + dt.timedelta(days=30)
        step(at(new_start - dt.timedelta(days=3), 9), "coordinator", "assign_pair", {"pid": pid},
             {"id": f"{pair_id}b", "mentor_id": m["id"], "mentee_id": p["mentee"], "start_date": new_start.isoformat(),
              "end_date": add_months(new_start, 6).isoformat(), "agreed_fee_cents": 150000, "topics": [topic],
              "override_reason": "the mentee's first mentor left; the only mentor free at once offers " + topic +
                                 ", which the board asked for after the diagnosis"})
        for k in range(3):
            sd = new_start + dt.timedelta(days=20 + 30 * k)
            step(at(sd + dt.timedelta(days=1), 9), "coordinator", "log_session", {"pair": f"{pair_id}b"},
                 {"id": f"s{k + 1:02d}", "date": sd.isoformat(), "minutes": 120, "mode": "remote",
                  "format": "bilateral", "topics": [topic], "summary": "Review with the cluster's board."})


def main():
    with open(os.path.join(HERE, "annex1-beneficiaries.csv"), newline="", encoding="utf-8") as f:
        annex = list(csv.DictReader(f))
    by_id = {r["mentee_id"]: r for r in annex}
    assert len(annex) == 26

    # ---- 2019: opened in autumn 2018, before the first tour (Catalonia, November 2018).
    mentor_plan_2019 = ["FR", "FR", "IT", "ES", "BE", "DE", "FR", "IT", "ES", "PT", "GR", "FR", "IT", "ES", "BE",
                        "FR", "CH", "IT", "GB", "FR"]
    ed = edition("tnst-2019", "Cluster Booster Track - mentoring programme (2019)", "France Clusters", "FR",
                 D("2018-10-01"), D("2018-10-15"), "2019-03-15T23:59:59+01:00", annex, EUROPEAN_2019,
                 mentor_plan_2019, before_applications=lambda: tours_2019("tnst-2019", by_id))
    story_2019(ed, D("2019-05-01"), D("2020-01-31"), by_id)

    # ---- 2021: the 13 mentees of the press release.
    # How the 6 Moroccan practitioners split over the 4 clusters is not said: this split is fictional.
    def from_annex(annex_id, name, k=None):
        r = dict(by_id[annex_id])
        r["cluster_name"] = name
        r["mentee_id"] = f"r21-{annex_id}" + (f"-{k}" if k else "")
        return r

    moroccan = [("maroc-numeric-cluster", "Maroc Numeric Cluster", 2),
                ("cluster-of-moroccan-technical-textiles", "Moroccan Technical Textile Cluster (C2TM)", 2),
                ("electronic-and-mechatronic-cluster-of-morocco",
                 "Cluster Electronique, Mécatronique & Mécanique (CE3M)", 1),
                ("agrinova", "Agrinova Competitiveness Pole", 1)]
    rows = []
    for annex_id, name, n in moroccan:
        for k in range(n):
            rows.append(from_annex(annex_id, name, k + 1))
    rows.append(from_annex("egypt-renewable-energy-cluster-initiative", "Egyptian Renewable Energy Cluster"))
    rows.append(from_annex("house-of-furniture", "House of Furniture"))
    rows.append(from_annex("hebron-leather-and-shoe-cluster", "Hebron Leather and Shoe Cluster"))
    rows.append(from_annex("cluster-mecatronic-tunisie", "Mechatronic Cluster"))
    rows.append(from_annex("cluster-north-west-olive-oil", "North-West Olive Oil Cluster"))
    rows.append({"mentee_id": "r21-marble-cluster", "cluster_name": "Marble Cluster", "sectors": "Marble",
                 "country": "TN", "website": ""})
    rows.append(from_annex("intaj", "ICT Association of Jordan – int@j"))
    assert len(rows) == 13 and sum(1 for r in rows if r["country"] == "MA") == 6
    mentor_plan_2021 = ["FR", "IT", "PS", "ES", "FR", "IT", "ES", "FR", "PS", "IT", "ES", "FR", "IT"]
    ed21 = edition("reloaded-2021", "Cluster Mentoring Reloaded (2021)", "ACCIÓ", "ES", D("2020-11-02"),
                   D("2020-11-16"), "2020-12-15T23:59:59+01:00", rows, [], mentor_plan_2021)
    run_pairs(ed21, D("2021-01-20"), D("2021-10-29"), ["remote"], ["bilateral", "group"],
              [(D("2021-01-20"), "Kick-off joint meeting"), (D("2021-05-27"), "Mid-term joint meeting"),
               (D("2021-10-28"), "Closing joint meeting")], 1,
              ("r21-marble-cluster", "the cluster asked at the kick-off to work first on a topic its diagnosis "
                                     "did not name; agreed with the mentor"), {})

    # Evidence documents for both editions, a few left out (the gaps to show),
    # then the 2019 edition's control round.
    def ids(command, key, prefix):
        return sorted(x["params"][key] if key in x["params"] else x["body"][key] for x in steps
                      if x["command"] == command and (x["params"].get(key) or x["body"].get(key)).startswith(prefix))
    invoices_2021 = ids("issue_invoice", "id", "reloaded-2021")
    paid_2019, paid_2021 = ids("pay_invoice", "iid", "tnst-2019"), ids("pay_invoice", "iid", "reloaded-2021")
    completed_2021 = ids("complete_pair", "pair", "reloaded-2021")
    evidence_documents(skip_invoice={invoices_2021[2]}, skip_proof={paid_2019[5], paid_2021[4]},
                       skip_report={completed_2021[1]})
    control_2019("tnst-2019")

    steps.sort(key=lambda s: s["at"])  # stable: steps of one instant keep their order
    resolve_positions()
    out = {
        "about": "Demonstration history of Programme Ledger: two editions of the Cluster Booster Track mentoring "
                 "programme of THE NEXT SOCIETY, as its public sources tell them (docs/PROGRAMME.md names the "
                 "source of each fact). People, mentor organisations, needs diagnoses, sessions, invoices and "
                 "amounts not named by the sources are fictional; rules and facts the sources do not give are "
                 "assumptions.",
        "notes": NOTES,
        "assumptions": ASSUMPTIONS,
        "fictional": sorted(set(fictional)) + [
            "all mentor organisations, and every mentor's country (those of 2021 drawn from France, Italy, "
            "Palestine and Spain, as the press release says)",
            "every mentee's contact person and every tour participant's name",
            "the split of the 6 Moroccan practitioners of 2021 over their 4 clusters: Maroc Numeric Cluster 2, "
            "C2TM 2, CE3M 1, Agrinova 1",
            "who took part in which tour (the cluster representatives' and network managers' organisations "
            "marked fictional are invented)",
            "every needs diagnosis (areas and notes), every application's knowledge areas and quotation",
            "the pairs' mentors and topics (matched on the fictional diagnoses), the two override reasons",
            "the 2019 pairs' period (1 May 2019 to 31 January 2020) and the follow-up pair of the terminated one",
            "all session dates, durations and summaries; the mid-term joint meeting of 2019",
            "all invoices, payments and credit notes",
            "every evidence document (invoices, bank statement extracts, final reports: generated), the 2019 "
            "control round (its sample, verifications, deduction, the audit authority's finding and its "
            "correction)",
            "the 2021 programme's opening date and application deadline",
            "the dates of the 2021 mid-term and closing joint meetings",
        ],
        "steps": steps,
    }
    with open(os.path.join(HERE, "demo.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")


NOTES = [
    "How many South-Med cluster managers: the 2019 call says 26 (and Annex I lists 26); the text on the "
    "benchmarking visits says 24. The demo enrols the 26 of Annex I.",
    "The Marble Cluster: Annex I lists a 'Stone & Marble Cluster' under Palestine; both 2021 press releases "
    "(EN and FR) list the Marble Cluster under Tunisia. The 2021 edition follows the press release (TN, "
    "r21-marble-cluster, not in Annex I); the 2019 edition keeps Annex I's Stone & Marble Cluster (PS).",
    "The Egyptian cluster: Annex I names it 'Egypt Renewable Energy Cluster Initiative (ECEI)' with the "
    "website ereci.eu; the French press release 'Egyptian Renewable Energy Cluster Initiative – ERECI'; the "
    "English one 'Egyptian Renewable Energy Cluster'. The 2019 edition keeps Annex I's name, the 2021 "
    "edition the English release's.",
    "'26 cluster practitioners' in the 2021 press release are the 13 mentees and their 13 mentors, not the "
    "26 beneficiaries of 2019.",
    "Cluster North-West Olive Oil: Annex I's link points to a 'cluster huile d'olive du sud-ouest' (South-West); "
    "the name says North-West, as does the 2021 press release. The demo keeps the name.",
    "Names differ between Annex I and the 2021 press release for the same clusters (Cluster of Moroccan "
    "Technical Textiles / Moroccan Technical Textile Cluster, C2TM; Electronic and Mechatronic Cluster of "
    "Morocco / Cluster Electronique, Mécatronique & Mécanique, CE3M; AGRINOVA / Agrinova Competitiveness "
    "Pole; Cluster Mecatronic Tunisie / Mechatronic Cluster; INTAJ / ICT Association of Jordan – int@j): each "
    "edition uses its own source's name.",
    "Assuit innovation cluster is '(to be confirmed)' in Annex I: the demo enrols it under that name and its "
    "diagnosis says its participation is still to be confirmed.",
    "'European' mentors (2019): the call does not define it. The demo reads it as the 28 member states of "
    "March 2019 (the United Kingdom included; it left the EU on 31 January 2020), the EEA states Iceland, "
    "Liechtenstein and Norway, and Switzerland.",
    "The Catalonia tour ('in November', dates to be confirmed, year not given) was the first of the four; the "
    "Wallonia text of October 2019 names Catalonia and Piedmont before it; the tours were to be held between "
    "2018 and 2020. The demo puts it in November 2018 and opens the 2019 programme in the ledger on "
    "1 October 2018, before it, keeping the application deadline of 15 March 2019.",
    "The 2019 tours' hosts: ACCIÓ (Catalonia), AWEX with France Clusters (Wallonia) and France Clusters with "
    "risingSUD (Région Sud) are named by the sources; Piedmont's host is not (an assumption).",
]

ASSUMPTIONS = [
    "2021 rules: the hour cap (32 hours), the fee cap (EUR 3,100 VAT excluded), the pair period (6 to 12 "
    "months), 5 years of experience for experts and 2 tours of 4 are the 2019 call's; the 2021 sources do "
    "not give them.",
    "Co-funding rate: 90% in both editions. The sources say THE NEXT SOCIETY's action plan is co-funded by the "
    "EU 'up to 90%'; they give no rate for the mentors' fees.",
    "vat_eligible is false in both editions (VAT is not an eligible cost): the sources do not say; the call "
    "states the fee cap VAT excluded.",
    "VAT on mentors' invoices: the mentors invoice the edition's coordinator (France Clusters, France, in "
    "2019; ACCIÓ, Spain, in 2021). A mentor established in the coordinator's country charges its standard "
    "rate (20% in France, 21% in Spain); every other invoice is cross-border, reverse charge, without VAT.",
    "Mentor countries in 2021: any (the rule's list is empty); the press release names the mentors' countries "
    "(France, Italy, Palestine, Spain) but no eligibility rule.",
    "Piedmont's host: the sources say the tours are hosted by regional agencies for the internationalisation "
    "of enterprises, without naming Piedmont's.",
    "Tour dates other than Wallonia's: Catalonia 19-23 November 2018 (the year is not given), Piedmont 13-17 "
    "May 2019 (not given; between Catalonia and Wallonia), Région Sud 3-7 February 2020 (only the year is "
    "given). Wallonia: from Monday 28 October 2019, 5 days (to 1 November 2019).",
    "Tour topics: given for Wallonia only (cluster governance, members engagement, international network "
    "development); the other tours' topics are left empty.",
    "Tour participants: the Wallonia text says about 12 cluster managers, cluster representatives and network "
    "managers from Egypt, Jordan, Morocco, Palestine and Tunisia; the demo registers 12 (8 mentees, 3 cluster "
    "representatives, 1 network manager). Who went on the other tours is not given.",
    "The 2019 programme's opening date in the ledger (1 October 2018) and the date of the needs diagnoses "
    "(15 October 2018 for 2019, 16 November 2020 for 2021): the call mentions an initial needs assessment "
    "without a date.",
    "The 2021 kick-off event of 20 January 2021 is counted as the first of the three joint meetings.",
    "The 2021 pairs run from 20 January 2021 to 29 October 2021 ('until October 2021').",
]


if __name__ == "__main__":
    main()
