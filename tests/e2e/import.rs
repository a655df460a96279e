//! `rapport import` into the service's database: mappings, bad rows with line
//! numbers, strict mode, re-runs that create no duplicates, several files,
//! presets, an import run that is audited and runs the automations, and a
//! large first load that sets the table's indexes aside and restores them.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with, write};

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

/// The first column of every row `sql` returns, as text.
async fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    let db = app.db().await;
    let statement = Statement::from_string(db.get_database_backend(), sql);
    let rows = db
        .query_all_raw(statement)
        .await
        .expect("query the database");
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
        .collect()
}

/// The indexes and foreign keys of `interactions`, by name.
async fn interaction_schema(app: &TestApp) -> Vec<String> {
    let sql = match app.db().await.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' \
             AND tbl_name = 'interactions' ORDER BY name"
        }
        _ => {
            "SELECT name FROM (SELECT indexname::text AS name FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = 'interactions' \
             UNION ALL SELECT conname::text FROM pg_constraint \
             WHERE conrelid = 'interactions'::regclass AND contype = 'f') t ORDER BY name"
        }
    };
    texts(app, sql).await
}

/// Rows of `interactions` and of `deferred_rebuilds`.
async fn interaction_and_deferred_rows(app: &TestApp) -> (String, String) {
    let counts = texts(
        app,
        "SELECT CAST((SELECT COUNT(*) FROM interactions) AS TEXT) \
         UNION ALL SELECT CAST((SELECT COUNT(*) FROM deferred_rebuilds) AS TEXT)",
    )
    .await;
    (counts[0].clone(), counts[1].clone())
}

async fn a_large_first_load_sets_the_indexes_aside_and_restores_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let schema = interaction_schema(&app).await;
    assert!(
        schema.iter().any(|n| n == "idx_interactions_customer_time"),
        "{schema:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let rows = |name: &str, header: &str, lines: Vec<String>| {
        write(
            dir.path(),
            name,
            format!("{header}\n{}\n", lines.join("\n")).as_bytes(),
        )
    };
    let people = rows(
        "people.csv",
        "id,name",
        (0..50).map(|c| format!("C{c},Ada {c}")).collect(),
    );
    app.import(&["customers", &people, "--map", "external_id=id,name=name"])
        .await
        .unwrap();
    let goods = rows(
        "goods.csv",
        "sku,name",
        (0..20).map(|p| format!("P{p},Tea {p}")).collect(),
    );
    app.import(&["items", &goods, "--map", "sku=sku,name=name"])
        .await
        .unwrap();
    // 12,000 rows into an empty table: more than the 10,000 of a bulk load.
    let log = (0..12_000)
        .map(|t| format!("C{},P{},{}", t % 50, (t * 7) % 20, 1_700_000_000 + t))
        .collect();
    let log = rows("log.csv", "who,what,at", log);
    let map = "customer=who,item=what,occurred_at=at:unix";
    // The re-run is no longer a first load, and creates no duplicates.
    for run in ["first load", "re-run"] {
        app.import(&["interactions", &log, "--map", map, "--no-automations"])
            .await
            .unwrap();
        assert_eq!(
            interaction_and_deferred_rows(&app).await,
            ("12000".into(), "0".into()),
            "{run}"
        );
        assert_eq!(
            interaction_schema(&app).await,
            schema,
            "{run}: every index is back"
        );
    }
}

async fn a_bulk_load_cut_short_is_finished_by_the_next_process(backend: Backend) {
    let app = spawn_app(backend).await;
    let schema = interaction_schema(&app).await;
    let kept = app.customer("Kept").await;
    let gone = app.customer("Gone").await;
    for customer in [&kept, &gone] {
        app.create(
            "/interactions",
            &json!({"customer_id": customer, "kind": "view"}),
        )
        .await;
    }
    let db = app.db().await;
    rapport_api::db::bulk_load::set_aside(&db).await.unwrap();
    let aside = interaction_schema(&app).await;
    assert!(
        !aside.iter().any(|n| n == "idx_interactions_customer_time"),
        "{aside:?}"
    );
    assert_ne!(interaction_and_deferred_rows(&app).await.1, "0");
    // While the foreign keys are aside (PostgreSQL), a customer goes
    // without taking their interactions along; the restore does it.
    let uuid = uuid::Uuid::parse_str(&gone).unwrap();
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            DbBackend::Sqlite => "DELETE FROM customers WHERE id = ?",
            _ => "DELETE FROM customers WHERE id = $1",
        },
        [uuid.into()],
    ))
    .await
    .unwrap();
    // The next process to open the database finishes the load.
    rapport_api::db::migrate(&db).await.unwrap();
    assert_eq!(interaction_schema(&app).await, schema);
    assert_eq!(
        interaction_and_deferred_rows(&app).await,
        ("1".into(), "0".into())
    );
    let left = app.list_all("/interactions").await;
    assert_eq!(left[0]["customer_id"], kept.as_str());
}

crate::on_every_backend!(
    a_large_first_load_sets_the_indexes_aside_and_restores_them,
    a_bulk_load_cut_short_is_finished_by_the_next_process,
    customers_import_with_any_layout_and_rerun_in_place,
    items_and_headerless_interactions_import_without_duplicates,
    an_import_is_audited_and_its_tickets_start_workflows,
    an_import_without_automations_starts_nothing,
    an_import_that_skips_every_row_fails,
    several_files_globs_and_clear_messages,
    a_preset_directory_imported_as_interactions_brings_what_they_need,
);
