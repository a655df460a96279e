"""What an integrator does with the Python client generated from
openapi/openapi.json by openapi-python-client, unedited: sign in, create a
customer and items, record interactions in a batch, train and activate a
recommender and the scorer, read recommendations with reasons and scores with
factors, start a workflow and move it one step. Every answer is checked.

Usage: python client_flow.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD
(with the generated package `rapport_api_client` importable).
"""

import sys
import time
import uuid

from rapport_api_client import AuthenticatedClient, Client
from rapport_api_client.api.auth import auth_login, auth_me
from rapport_api_client.api.customers import customers_create, customers_get
from rapport_api_client.api.interactions import interactions_create_batch
from rapport_api_client.api.items import items_create
from rapport_api_client.api.models import engines_train, jobs_get, models_get
from rapport_api_client.api.predictions import (
    recommendations_for_customer,
    scores_for_customer,
)
from rapport_api_client.api.workflows import (
    workflow_instances_start,
    workflow_instances_transition,
    workflows_create,
)
from rapport_api_client.models import (
    CustomerInput,
    InteractionBatch,
    ItemInput,
    JobStatus,
    LoginRequest,
    StartInstance,
    TrainRequest,
    TransitionRequest,
    WorkflowInput,
)


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def expect(response, status, what):
    if response.status_code != status:
        raise SystemExit(
            f"FAILED: {what}: expected {status}, got {response.status_code}: "
            f"{response.content[:500]!r}"
        )
    return response.parsed


def main(base, email, password):
    anonymous = Client(base_url=base)
    session = expect(
        auth_login.sync_detailed(
            client=anonymous, body=LoginRequest(email=email, password=password)
        ),
        200,
        "sign in",
    )
    check(session.token_type == "Bearer" and session.expires_in > 0, "a bearer token")
    client = AuthenticatedClient(base_url=base, token=session.access_token)
    me = expect(auth_me.sync_detailed(client=client), 200, "who am I")
    check(me.email == email, "signed in as the admin")

    run = uuid.uuid4().hex[:8]
    customers = []
    for i in range(12):
        body = CustomerInput.from_dict(
            {
                "name": f"Client {run} {i}",
                "email": f"client{i}.{run}@example.com",
                "external_id": f"py-{run}-{i}",
                "attributes": {
                    "tenure": i + 1,
                    "plan": "basic" if i % 2 else "pro",
                    "churn": "Yes" if i % 3 == 0 else "No",
                },
            }
        )
        created = expect(
            customers_create.sync_detailed(client=client, body=body),
            201,
            f"create customer {i}",
        )
        customers.append(created)
    fetched = expect(
        customers_get.sync_detailed(client=client, id=customers[0].id),
        200,
        "read a customer back",
    )
    check(fetched.external_id == f"py-{run}-0", "the customer's external id")

    items = []
    for i in range(8):
        body = ItemInput.from_dict(
            {"sku": f"PY-{run}-{i}", "name": f"Item {i}", "price": 10.0 + i}
        )
        items.append(
            expect(items_create.sync_detailed(client=client, body=body), 201, f"create item {i}")
        )

    rows = []
    for c, customer in enumerate(customers):
        for k in range(3):
            item = items[(c + k) % len(items)]
            rows.append(
                {"customer_id": customer.id, "item_id": item.id, "kind": "purchase", "value": 12.5}
            )
    batch = expect(
        interactions_create_batch.sync_detailed(
            client=client, body=InteractionBatch.from_dict({"interactions": rows})
        ),
        201,
        "record interactions in a batch",
    )
    check(batch.created == len(rows), f"{len(rows)} interactions recorded")

    def train(engine, params):
        accepted = expect(
            engines_train.sync_detailed(
                client=client,
                name=engine,
                body=TrainRequest.from_dict({"params": params, "activate": True}),
            ),
            202,
            f"train {engine}",
        )
        deadline = time.time() + 120
        while True:
            job = jobs_get.sync_detailed(client=client, id=accepted.job_id).parsed
            if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) or time.time() > deadline:
                break
            time.sleep(0.3)
        check(job.status == JobStatus.SUCCEEDED, f"{engine} trained ({job.error})")
        model = expect(models_get.sync_detailed(client=client, id=job.model_id), 200, "model")
        check(model.active, f"{engine} model active")
        return model

    train("item_item", {"neighbours": 20})
    train("logistic", {"label": "churn=Yes"})

    recs = expect(
        recommendations_for_customer.sync_detailed(
            client=client, id=customers[0].id, k=3, engine="item_item"
        ),
        200,
        "recommendations",
    )
    check(recs.engine == "item_item" and len(recs.items) > 0, "item_item recommends")
    check(all(len(item.reasons) > 0 for item in recs.items), "each recommendation has reasons")
    owned = {row["item_id"] for row in rows if row["customer_id"] == customers[0].id}
    check(all(item.item_id not in owned for item in recs.items), "seen items are excluded")

    scores = expect(
        scores_for_customer.sync_detailed(client=client, id=customers[1].id), 200, "scores"
    )
    check(len(scores.scores) == 1, "one active scorer")
    score = scores.scores[0]
    check(0.0 <= score.probability <= 1.0, "a probability")
    check(len(score.factors) > 0, "factors explain the score")
    total = score.intercept + sum(f.contribution for f in score.factors)
    check(abs(total - score.logit) < 1e-6, "contributions add up to the logit")

    workflow = WorkflowInput.from_dict(
        {
            "key": f"py-{run}",
            "name": "Handoff",
            "steps": [
                {"key": "qualify", "name": "Qualify", "department": "marketing"},
                {"key": "work", "name": "Work", "department": "sales"},
                {"key": "done", "name": "Done"},
            ],
            "transitions": [{"from": "qualify", "to": "work"}, {"from": "work", "to": "done"}],
            "initial_step": "qualify",
            "terminal_steps": ["done"],
        }
    )
    expect(workflows_create.sync_detailed(client=client, body=workflow), 201, "define a workflow")
    instance = expect(
        workflow_instances_start.sync_detailed(
            client=client,
            body=StartInstance(workflow_key=f"py-{run}", customer_id=customers[2].id),
        ),
        201,
        "start the workflow",
    )
    check(instance.current_step == "qualify", "starts on the initial step")
    moved = expect(
        workflow_instances_transition.sync_detailed(
            client=client,
            id=instance.id,
            body=TransitionRequest(to="work", expected_version=instance.version),
        ),
        200,
        "move it one step",
    )
    check(moved.current_step == "work" and moved.version == instance.version + 1, "on `work`")
    print("python client flow passed")


if __name__ == "__main__":
    main(*sys.argv[1:4])
