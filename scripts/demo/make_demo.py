#!/usr/bin/env python3
"""Writes scripts/demo/demo.json: the demonstration history of two editions.

The 2019 edition follows the call for mentors (France Clusters; the 26 Annex I
beneficiaries; European mentors; deadline 2019-03-15 23:59:59 CET). The 2021
"Cluster Mentoring Reloaded" edition follows its press release (ACCIÓ; 13
pairs; 6 practitioners from 4 Moroccan clusters; mentors from France, Italy,
Palestine and Spain; 20 January to October 2021; three joint meetings; all
online). Every person, mentor organisation, session, invoice and figure that
the sources do not give is invented, deterministic (seeded), and listed under
"fictional" in the output. Each step carries the instant the ledger records it
at (the demo loader's simulated clock): an application when it was received,
a session the day after it took place.

Run: python3 scripts/demo/make_demo.py > scripts/demo/demo.json
"""
import csv
import datetime as dt
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(2019)
steps = []
fictional = []

AREAS = ["strategy", "financing model & sustainability", "communication & branding", "member engagement",
         "service portfolio", "governance", "management of the team", "monitoring, evaluation & impact",
         "cross-sector cooperation & inter-clustering", "other"]
EU = ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
      "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"]
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
    import calendar
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def edition(pid, name, coordinator, opened, deadline, mentee_rows, mentor_countries_rule, mentor_plan,
            start, end, modes, formats, joint_meetings, tours, story):
    rules = {
        "hour_cap_minutes": 32 * 60, "fee_cap_cents": 310000, "min_months": 6, "max_months": 12,
        "application_deadline": deadline, "cofunding_bp": 9000,
        "mentee_countries": sorted({r["country"] for r in mentee_rows}),
        "mentor_countries": mentor_countries_rule, "knowledge_areas": AREAS, "expert_min_years": 5,
        "max_tours_per_mentee": 2,
    }
    step(at(opened, 9), "coordinator", "open_programme", {},
         dict(id=pid, name=name, coordinator=coordinator, **rules))
    for r in mentee_rows:
        step(at(opened + dt.timedelta(days=1), 11), "coordinator", "enrol_mentee", {"pid": pid},
             {"id": r["mentee_id"], "name": person(), "cluster_name": r["cluster_name"], "sectors": r["sectors"],
              "country": r["country"], "website": r["website"]})
    # Mentor applications, received before the deadline.
    dl = dt.datetime.fromisoformat(deadline).astimezone(dt.timezone.utc).date()
    mentors = []
    for i, country in enumerate(mentor_plan):
        aid = f"{pid}-app-{i + 1:02d}"
        profile = "expert" if i % 4 == 3 else "cluster_manager"
        received = dl - dt.timedelta(days=40 - i * 2)
        quotation = 310000 if i % 3 else 280000
        when = at(received, 14)
        step(when, "coordinator", "submit_application", {"pid": pid},
             {"id": aid, "applicant_name": person(), "organisation": f"{country} cluster organisation {i + 1} (fictional)",
              "email": f"mentor{i + 1}@{pid}.example", "country": country, "profile": profile,
              "years_experience": 6 + i % 9, "knowledge_areas": rng.sample(AREAS[:9], 3),
              "quotation_cents": quotation, "received_at": when})
        mentors.append((aid, f"{pid}-mentor-{i + 1:02d}", quotation))
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
    for aid, mid, _ in mentors:
        step(at(review, 10), "coordinator", "accept_application", {"aid": aid}, {"mentor_id": mid})
    for j in range(2):
        step(at(review, 11), "coordinator", "reject_application", {"aid": f"{pid}-app-r{j + 1}"},
             {"reason": "the knowledge areas offered do not match the mentees' needs"})
    story(pid, mentee_rows, mentors, start, end, modes, formats, joint_meetings, tours)


def run_pairs(pid, mentee_rows, mentors, start, end, modes, formats, joint_meetings, tours, special):
    """Assigns one pair per mentee, logs sessions, invoices, reports; `special` bends a few stories."""
    assigned = start - dt.timedelta(days=10)
    pairs = []
    for i, r in enumerate(mentee_rows):
        aid, mid, quotation = mentors[i % len(mentors)]
        pair_id = f"{pid}-p{i + 1:02d}"
        fee = quotation
        step(at(assigned, 9), "coordinator", "assign_pair", {"pid": pid},
             {"id": pair_id, "mentor_id": mid, "mentee_id": r["mentee_id"], "start_date": start.isoformat(),
              "end_date": end.isoformat(), "agreed_fee_cents": fee, "topics": rng.sample(AREAS[:9], 2)})
        pairs.append({"id": pair_id, "mentor": mid, "mentee": r["mentee_id"], "fee": fee, "used": 0, "inv": 0})
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
        step(at(d + dt.timedelta(days=1), 9), p["mentor"] if special.get("mentor_logs") else "coordinator",
             "log_session", {"pair": p["id"]},
             {"id": sid, "date": d.isoformat(), "minutes": minutes, "mode": rng.choice(modes),
              "format": rng.choice(formats), "topics": rng.sample(AREAS[:9], 1),
              "summary": f"Session {k + 1}: worked on the action plan with the cluster manager."})
        special.get("after_session", lambda *a: None)(p, sid, d, minutes)
    for jm, (d, title) in enumerate(joint_meetings):
        step(at(d, 16), "coordinator", "hold_joint_meeting", {"pid": pid},
             {"date": d.isoformat(), "title": title, "pair_ids": [p["id"] for p in pairs if not p.get("stopped")]})
    for t in tours:
        step(at(t["start"] - dt.timedelta(days=30), 9), "coordinator", "schedule_tour", {"pid": pid},
             {"id": t["id"], "region": t["region"], "host": t["host"], "start_date": t["start"].isoformat(),
              "end_date": (t["start"] + dt.timedelta(days=4)).isoformat(), "topics": ["cross-sector cooperation & inter-clustering"]})
        for m in t["mentees"]:
            step(at(t["start"] - dt.timedelta(days=20), 10), "coordinator", "register_tour_participant",
                 {"tid": t["id"]}, {"mentee_id": m})
    # Invoices: half the fee at mid-term, the rest at the end; paid a month later.
    mid = start + (end - start) / 2
    for i, p in enumerate(pairs):
        if p.get("stopped"):
            continue
        half = p["fee"] // 2
        number = f"{p['mentor'].upper()}-{mid.year}-{i + 1:02d}A"
        inv = f"{p['id']}-inv-1"
        step(at(mid + dt.timedelta(days=2), 11), "finance", "issue_invoice", {"pair": p["id"]},
             {"id": inv, "number": number, "issue_date": mid.isoformat(), "net_cents": half,
              "vat_cents": half * 20 // 100})
        step(at(mid + dt.timedelta(days=32), 11), "finance", "pay_invoice", {"iid": inv},
             {"paid_date": (mid + dt.timedelta(days=31)).isoformat(), "amount_cents": half})
        special.get("after_first_invoice", lambda *a: None)(p, inv, mid, i)
    close = end + dt.timedelta(days=5)
    for i, p in enumerate(pairs):
        if p.get("stopped"):
            continue
        step(at(close, 10), p["mentor"] if special.get("mentor_logs") else "coordinator", "submit_report",
             {"pair": p["id"]},
             {"language": "en", "topics": rng.sample(AREAS[:9], 2),
              "progress": "The cluster adopted a revised strategy and a member-services plan.",
              "outcomes": "Two new services launched; a partnership with a European cluster under discussion."})
        rest = p["fee"] - p["fee"] // 2 - p.get("credited", 0)
        inv = f"{p['id']}-inv-2"
        step(at(close + dt.timedelta(days=3), 11), "finance", "issue_invoice", {"pair": p["id"]},
             {"id": inv, "number": f"{p['mentor'].upper()}-{close.year}-{i + 1:02d}B",
              "issue_date": (close + dt.timedelta(days=2)).isoformat(), "net_cents": rest,
              "vat_cents": rest * 20 // 100})
        if i % 4 != 1:  # a few final invoices are still unpaid
            step(at(close + dt.timedelta(days=33), 11), "finance", "pay_invoice", {"iid": inv},
                 {"paid_date": (close + dt.timedelta(days=32)).isoformat(), "amount_cents": rest})
        if i % 5 != 2:
            step(at(close + dt.timedelta(days=34), 12), "coordinator", "complete_pair", {"pair": p["id"]}, {})
    return pairs


def story_2019(pid, rows, mentors, start, end, modes, formats, jms, tours):
    stopped = {}

    def after_session(p, sid, d, minutes):
        # One session logged twice by mistake, then voided.
        if p["id"] == f"{pid}-p03" and sid == "s02":
            step(at(d + dt.timedelta(days=1), 12), "coordinator", "log_session", {"pair": p["id"]},
                 {"id": "s02-dup", "date": d.isoformat(), "minutes": minutes, "mode": "remote", "format": "bilateral",
                  "topics": ["strategy"], "summary": "Logged twice by mistake."})
            step(at(d + dt.timedelta(days=3), 9), "coordinator", "void_session", {"pair": p["id"], "sid": "s02-dup"},
                 {"reason": "the same session was logged twice"})
        # One pair ends early: the mentor left the cluster.
        if p["id"] == f"{pid}-p07" and sid == "s03":
            step(at(d + dt.timedelta(days=10), 9), "coordinator", "terminate_pair", {"pair": p["id"]},
                 {"reason": "the mentor left their cluster organisation"})
            p["stopped"] = True
            stopped[p["id"]] = (p, d)

    def after_first_invoice(p, inv, mid, i):
        if i == 1:  # an invoice with the wrong amount, cancelled before payment and reissued
            step(at(mid + dt.timedelta(days=3), 9), "finance", "issue_invoice", {"pair": p["id"]},
                 {"id": f"{p['id']}-inv-x", "number": f"{p['mentor'].upper()}-{mid.year}-{i + 1:02d}X",
                  "issue_date": mid.isoformat(), "net_cents": 1000, "vat_cents": 200})
            step(at(mid + dt.timedelta(days=4), 9), "finance", "cancel_invoice", {"iid": f"{p['id']}-inv-x"},
                 {"reason": "issued with the wrong amount"})
        if i == 4:  # a credit note for a session that was not held
            step(at(mid + dt.timedelta(days=5), 9), "finance", "issue_credit_note", {"iid": inv},
                 {"id": f"{p['id']}-cn-1", "amount_cents": 0, "reason": "placeholder"})
            steps.pop()
    pairs = run_pairs(pid, rows, mentors, start, end, modes, formats, jms, tours,
                      {"after_session": after_session, "after_first_invoice": after_first_invoice})
    # The credit note: on a final invoice, before it is paid.
    p = pairs[5]
    inv = f"{p['id']}-inv-2"
    for k, s in enumerate(steps):
        if s["command"] == "issue_invoice" and s["body"]["id"] == inv:
            steps.insert(k + 1, {"at": s["at"].replace("T11", "T15"), "actor": "finance", "command": "issue_credit_note",
                                 "params": {"iid": inv},
                                 "body": {"id": f"{p['id']}-cn-1", "amount_cents": 15500,
                                          "reason": "one session of the plan was not held"}})
            for j in range(k + 2, len(steps)):
                if steps[j]["command"] == "pay_invoice" and steps[j]["params"]["iid"] == inv:
                    steps[j]["body"]["amount_cents"] -= 15500
            break
    # The mentee of the terminated pair continues with another mentor.
    for pair_id, (p, d) in stopped.items():
        aid, mid, quotation = mentors[-1]
        new_start = d + dt.timedelta(days=30)
        step(at(new_start - dt.timedelta(days=3), 9), "coordinator", "assign_pair", {"pid": pid},
             {"id": f"{pair_id}b", "mentor_id": mid, "mentee_id": p["mentee"], "start_date": new_start.isoformat(),
              "end_date": add_months(new_start, 6).isoformat(), "agreed_fee_cents": 150000,
              "topics": ["governance"]})
        for k in range(3):
            sd = new_start + dt.timedelta(days=20 + 30 * k)
            step(at(sd + dt.timedelta(days=1), 9), "coordinator", "log_session", {"pair": f"{pair_id}b"},
                 {"id": f"s{k + 1:02d}", "date": sd.isoformat(), "minutes": 180, "mode": "remote",
                  "format": "bilateral", "topics": ["governance"], "summary": "Governance review with the board."})
    steps.sort(key=lambda s: s["at"])


def story_2021(pid, rows, mentors, start, end, modes, formats, jms, tours):
    run_pairs(pid, rows, mentors, start, end, modes, formats, jms, tours, {"mentor_logs": False})


def main():
    with open(os.path.join(HERE, "annex1-beneficiaries.csv"), newline="", encoding="utf-8") as f:
        annex = list(csv.DictReader(f))
    by_id = {r["mentee_id"]: r for r in annex}

    mentor_plan_2019 = ["FR", "FR", "IT", "ES", "BE", "DE", "FR", "IT", "ES", "PT", "GR", "FR", "IT", "ES", "BE",
                        "FR", "DE", "IT", "ES", "FR"]
    tours_2019 = [
        {"id": "tour-catalonia", "region": "Catalonia", "host": "ACCIÓ", "start": D("2019-10-07"),
         "mentees": ["intaj", "menara-cluster", "house-of-furniture", "cluster-mecatronic-tunisie"]},
        {"id": "tour-piedmont", "region": "Piedmont", "host": "Piedmont host cluster (fictional)",
         "start": D("2019-10-21"), "mentees": ["intaj", "agrinova", "algeria-digital-cluster"]},
        {"id": "tour-wallonia", "region": "Wallonia", "host": "Wallonia host cluster (fictional)",
         "start": D("2019-11-18"), "mentees": ["menara-cluster", "oasis500", "stone-marble-cluster"]},
        {"id": "tour-region-sud", "region": "Région Sud", "host": "Région Sud host cluster (fictional)",
         "start": D("2019-12-02"), "mentees": ["beirut-creative-cluster", "cluster-primeurs-du-sud"]},
    ]
    edition("tnst-2019", "Cluster Booster Track - mentoring programme (2019)", "France Clusters", D("2019-01-21"),
            "2019-03-15T23:59:59+01:00", annex, EU, mentor_plan_2019, D("2019-05-01"), D("2020-01-31"),
            ["remote", "remote", "in_person"], ["bilateral"],
            [(D("2019-06-20"), "Mid-term exchange of mentors and mentees")], tours_2019, story_2019)

    # 2021: 13 mentees. 6 practitioners from 4 Moroccan clusters (Annex I), the Marble
    # Cluster of Tunisia (not in Annex I), and six more from EG, JO, PS, TN.
    moroccan = [("menara-cluster", 2), ("moroccan-solar-cluster", 2), ("agrinova", 1), ("maroc-numeric-cluster", 1)]
    rows = []
    for cid, n in moroccan:
        for k in range(n):
            r = dict(by_id[cid])
            r["mentee_id"] = f"r21-{cid}-{k + 1}"
            rows.append(r)
    rows.append({"mentee_id": "r21-marble-cluster", "cluster_name": "Marble Cluster", "sectors": "Marble and stone",
                 "country": "TN", "website": ""})
    for cid in ["egypt-renewable-energy-cluster-initiative", "oasis500", "intaj", "house-of-furniture",
                "date-and-palm-cluster", "sahel-technical-textile-cluster"]:
        r = dict(by_id[cid])
        r["mentee_id"] = f"r21-{cid}"
        rows.append(r)
    assert len(rows) == 13
    mentor_plan_2021 = ["FR", "IT", "PS", "ES", "FR", "IT", "ES", "FR", "PS", "IT", "ES", "FR", "IT"]
    edition("reloaded-2021", "Cluster Mentoring Reloaded (2021)", "ACCIÓ", D("2020-11-02"),
            "2020-12-15T23:59:59+01:00", rows, [], mentor_plan_2021, D("2021-01-20"), D("2021-10-29"),
            ["remote"], ["bilateral", "group"],
            [(D("2021-01-20"), "Kick-off joint meeting"), (D("2021-05-27"), "Mid-term joint meeting"),
             (D("2021-10-28"), "Closing joint meeting")], [], story_2021)

    steps.sort(key=lambda s: s["at"])  # stable: steps of one instant keep their order
    out = {
        "about": "Demonstration history of Programme Ledger: two editions of the Cluster Booster Track mentoring "
                 "programme. People, mentor organisations, sessions, invoices and amounts not named by the "
                 "public sources are fictional.",
        "fictional": sorted(set(fictional)) + ["all mentor organisations", "all session dates, durations and summaries",
                                               "all invoices, payments and credit notes",
                                               "the 2021 application deadline"],
        "steps": steps,
    }
    json.dump(out, open(os.path.join(HERE, "demo.json"), "w", encoding="utf-8"), ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
