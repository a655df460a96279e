//! `rapport import` into the service's database: mappings, bad rows with line
//! numbers, strict mode, re-runs that create no duplicates, several files,
//! presets, and an import run that is audited and runs the automations.

use serde_json::json;

use crate::helpers::{Backend, spawn_app, spawn_app_with, write};

async fn customers_import_with_any_layout_and_rerun_in_place(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    // Semicolons, quoted fields, a latin-1 name and a bad e-mail on line 4.
    let customers = write(
        dir.path(),
        "people.csv",
        b"Code;Full name;Mail;Plan;Age\nA1;\"Lovelace; Ada\";ada@example.com;pro;36\nB2;Jos\xe9 Garc\xeda;jose@example.com;free;41\nC3;Broken;not-an-email;free;20\n",
    );
    let map = "external_id=Code,name=Full name,email=Mail,attr:plan=Plan,attr:age=Age";
    app.import(&["customers", &customers, "--map", map])
        .await
        .unwrap();
    let rows = app.list_all("/customers?sort=name").await;
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["José García", "Lovelace; Ada"]);
    assert_eq!(rows[1]["attributes"]["age"], 36);
    assert_eq!(rows[1]["attributes"]["plan"], "pro");

    // Strict mode refuses the file and writes nothing more.
    let err = app
        .import(&["customers", &customers, "--map", map, "--strict"])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("line 4"), "{err}");
    assert_eq!(app.count("/customers").await, 2);

    // A re-run updates in place.
    app.import(&["customers", &customers, "--map", map])
        .await
        .unwrap();
    assert_eq!(app.count("/customers").await, 2);
    let ada = app.list_all("/customers?q=lovelace").await;
    assert_eq!(ada[0]["version"], 2);
}

async fn items_and_headerless_interactions_import_without_duplicates(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let people = write(dir.path(), "people.csv", b"id,name\nA1,Ada\nB2,Bo\n");
    let map = "external_id=id,name=name";
    app.import(&["customers", &people, "--map", map])
        .await
        .unwrap();
    let items = write(
        dir.path(),
        "items.tsv",
        b"sku\ttitle\tprice\nP1\tTea\t4.5\nP2\tMug\tabc\n",
    );
    let map = "sku=sku,name=title,price=price";
    app.import(&["items", &items, "--map", map]).await.unwrap();
    assert_eq!(
        app.count("/items").await,
        1,
        "the row with a bad price is skipped"
    );

    // No header: columns by number; unix times; an unknown customer skipped.
    let log = write(
        dir.path(),
        "log.csv",
        b"A1,P1,1700000000,5\nB2,P1,1700000100,4\nZZ,P1,1700000200,3\n",
    );
    let args = [
        "interactions",
        &log,
        "--no-header",
        "--map",
        "customer=0,item=1,occurred_at=2:unix,rating=3",
        "--interaction-kind",
        "rating",
    ];
    app.import(&args).await.unwrap();
    assert_eq!(app.count("/interactions").await, 2);
    app.import(&args).await.unwrap();
    assert_eq!(
        app.count("/interactions?kind=rating").await,
        2,
        "a re-run creates no duplicates"
    );

    // Calls in the same second that differ only in their note or channel
    // are distinct interactions, and stay so on a re-run.
    let calls = write(
        dir.path(),
        "calls.csv",
        b"who,what,at,via,note\n\
          A1,call,1700000300,phone,asked for a quote\n\
          A1,call,1700000300,phone,sent the quote\n\
          A1,call,1700000300,email,sent the quote\n",
    );
    let args = [
        "interactions",
        &calls,
        "--map",
        "customer=who,kind=what,occurred_at=at:unix,channel=via,note=note",
    ];
    app.import(&args).await.unwrap();
    app.import(&args).await.unwrap();
    assert_eq!(app.count("/interactions?kind=call").await, 3);
}

/// An automation that starts churn-save on a support ticket.
fn ticket_rule() -> serde_json::Value {
    json!({"name": "Ticket", "when": {"type": "interaction", "kind": "support_ticket"},
           "then": {"workflow_key": "churn-save"}})
}

async fn an_import_is_audited_and_its_tickets_start_workflows(backend: Backend) {
    let app = spawn_app_with(backend, &["--webhook-allow-private"]).await;
    app.define_demo_workflows().await;
    app.create_automation(ticket_rule()).await;
    let hook = app
        .subscribe("http://127.0.0.1:9/hook", json!(["import.completed"]))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let people = write(dir.path(), "people.csv", b"id,name\nT1,Tess\nT2,Theo\n");
    let map = "external_id=id,name=name";
    app.import(&["customers", &people, "--map", map])
        .await
        .unwrap();
    let tickets = write(
        dir.path(),
        "tickets.csv",
        b"customer,kind,when\nT1,support_ticket,1700000000\nT2,view,1700000100\nNOBODY,support_ticket,1700000200\n",
    );
    let map = "customer=customer,kind=kind,occurred_at=when:unix";
    app.import(&["interactions", &tickets, "--map", map])
        .await
        .unwrap();

    let entries = app.audit("action=import.completed").await;
    assert_eq!(entries.len(), 2, "one audited action per imported file");
    let details = &entries
        .iter()
        .find(|e| e["changes"]["kind"] == "interactions")
        .unwrap()["changes"];
    assert_eq!(details["read"], 3);
    assert_eq!(details["written"], 2);
    assert_eq!(details["skipped"], 1);
    assert_eq!(details["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(details["skipped_by_reason"][0][1], 1);
    let deliveries = app.deliveries(&hook).await;
    assert_eq!(deliveries.len(), 2, "import.completed is in the outbox");
    assert!(
        deliveries
            .iter()
            .all(|d| d["event_type"] == "import.completed")
    );

    let customers = app.list_all("/customers").await;
    let id_of = |name: &str| {
        customers.iter().find(|c| c["name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let open = async |name: &str| app.open_instances(&id_of(name), "churn-save").await.len();
    assert_eq!(
        open("Tess").await,
        1,
        "the imported ticket started the workflow"
    );
    assert_eq!(open("Theo").await, 0, "a view starts nothing");

    // A re-run writes nothing new and starts nothing twice.
    app.import(&["interactions", &tickets, "--map", map])
        .await
        .unwrap();
    assert_eq!(open("Tess").await, 1);
    assert_eq!(app.count("/interactions?kind=support_ticket").await, 1);
}

async fn an_import_without_automations_starts_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.define_demo_workflows().await;
    app.create_automation(ticket_rule()).await;
    let dir = tempfile::tempdir().unwrap();
    let people = write(dir.path(), "people.csv", b"id,name\nT1,Tess\n");
    app.import(&["customers", &people, "--map", "external_id=id,name=name"])
        .await
        .unwrap();
    let tickets = write(
        dir.path(),
        "tickets.csv",
        b"customer,kind\nT1,support_ticket\n",
    );
    let map = "customer=customer,kind=kind";
    app.import(&["interactions", &tickets, "--map", map, "--no-automations"])
        .await
        .unwrap();
    assert_eq!(app.count("/interactions?kind=support_ticket").await, 1);
    assert_eq!(
        app.count("/workflow-instances?workflow_key=churn-save")
            .await,
        0
    );
}

async fn an_import_that_skips_every_row_fails(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "log.csv", b"customer,kind\nNOBODY,view\n");
    let err = app
        .import(&["interactions", &log, "--map", "customer=customer,kind=kind"])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("every row was skipped"), "{err}");
    assert_eq!(app.count("/interactions").await, 0);
}

async fn several_files_globs_and_clear_messages(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let first = write(dir.path(), "people-1.csv", b"id,name\nP1,Pia\n");
    write(dir.path(), "people-2.csv", b"id,name\nP2,Per\n");
    write(dir.path(), "people-3.csv", b"id,name\nP3,Pol\n");
    let pattern = dir.path().join("people-[23].csv").display().to_string();
    let map = "external_id=id,name=name";
    app.import(&["customers", &first, &pattern, "--map", map])
        .await
        .unwrap();
    assert_eq!(app.count("/customers").await, 3);
    assert_eq!(
        app.count("/audit-log?action=import.completed").await,
        3,
        "one audited action per file"
    );
    let nothing = dir.path().join("none-*.csv").display().to_string();
    let err = app
        .import(&["customers", &nothing, "--map", map])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("matches no file"), "{err}");

    // An empty required cell names the field and the column it is read from.
    let log = write(dir.path(), "log.csv", b"CustomerID,Kind\n,view\nP1,view\n");
    let map = "customer=CustomerID,kind=Kind";
    app.import(&["interactions", &log, "--map", map])
        .await
        .unwrap();
    let entry = &app.audit("action=import.completed").await[0];
    assert_eq!(
        entry["changes"]["kind"], "interactions",
        "the newest import is the interactions file: {entry}"
    );
    let changes = &entry["changes"];
    assert_eq!(changes["written"], 1);
    assert_eq!(
        changes["first_errors"][0],
        "line 2: customer is empty (column CustomerID)"
    );
}

async fn a_preset_directory_imported_as_interactions_brings_what_they_need(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "u.user",
        b"1|24|M|technician|85711\n2|53|F|other|94043\n",
    );
    let flags = "|0".repeat(19);
    let items = format!(
        "1|Toy Story (1995)|01-Jan-1995||http://x{flags}\n2|GoldenEye (1995)|01-Jan-1995||http://y{flags}\n"
    );
    write(dir.path(), "u.item", items.as_bytes());
    write(
        dir.path(),
        "u.data",
        b"1\t1\t5\t874965758\n2\t2\t3\t876893171\n1\t2\t4\t878542960\n",
    );
    let path = dir.path().display().to_string();
    app.import(&["interactions", &path, "--preset", "movielens-100k"])
        .await
        .unwrap();
    assert_eq!(app.count("/customers").await, 2);
    assert_eq!(app.count("/items").await, 2);
    assert_eq!(app.count("/interactions").await, 3);
}

crate::on_every_backend!(
    customers_import_with_any_layout_and_rerun_in_place,
    items_and_headerless_interactions_import_without_duplicates,
    an_import_is_audited_and_its_tickets_start_workflows,
    an_import_without_automations_starts_nothing,
    an_import_that_skips_every_row_fails,
    several_files_globs_and_clear_messages,
    a_preset_directory_imported_as_interactions_brings_what_they_need,
);
