"""invoice-renderer (java21): renders PDF invoices for paid orders and stores them in S3."""

from __future__ import annotations

import random

from sandbox.aws.functions.shop import order_id
from sandbox.aws.lambda_logs import FunctionRuntime, Invocation, Outcome, java_voice
from sandbox.aws.workload import Workload

_REFLECTION_FRAMES = (
    "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(Unknown Source)\n"
    "\tat java.base/java.lang.reflect.Method.invoke(Unknown Source)\n"
    "\tat com.amazonaws.services.lambda.runtime.api.client.EventHandlerLoader$PojoHandlerAsStreamHandler"
    ".handleRequest(EventHandlerLoader.java:285)"
)


def _invoice(rng: random.Random) -> str:
    return f"INV-2026-{rng.randint(400, 999):05d}"


def invoice_rendered(rng: random.Random) -> Invocation:
    invoice = _invoice(rng)
    return Invocation(
        (
            ("INFO", f"InvoiceHandler - Rendering invoice {invoice} for order {order_id(rng)}"),
            (
                "INFO",
                f"PdfRenderer - Rendered {rng.randint(1, 4)} pages ({rng.randint(60, 400)} KB) "
                f"in {rng.randint(300, 1400)} ms",
            ),
            ("INFO", f"InvoiceStore - Stored s3://acme-invoices/2026/11/{invoice}.pdf"),
        ),
        duration_ms=rng.uniform(700, 2600),
        memory_used_mb=rng.randint(210, 380),
    )


def invoice_template_missing(rng: random.Random) -> Invocation:
    """Unhandled: the Java runtime logs `<message>: <type>` and then the whole trace with its cause."""
    invoice = _invoice(rng)
    message = f"Failed to render invoice {invoice}"
    return Invocation(
        (
            ("INFO", f"InvoiceHandler - Rendering invoice {invoice} for order {order_id(rng)}"),
            (
                None,
                f"{message}: com.acme.invoices.RenderException\n"
                f"com.acme.invoices.RenderException: {message}\n"
                "\tat com.acme.invoices.PdfRenderer.render(PdfRenderer.java:88)\n"
                "\tat com.acme.invoices.InvoiceHandler.handleRequest(InvoiceHandler.java:42)\n"
                "\tat com.acme.invoices.InvoiceHandler.handleRequest(InvoiceHandler.java:19)\n"
                f"{_REFLECTION_FRAMES}\n"
                "Caused by: java.io.FileNotFoundException: templates/invoice-eu-v3.ftl "
                "(No such file or directory)\n"
                "\tat java.base/java.io.FileInputStream.open0(Native Method)\n"
                "\tat java.base/java.io.FileInputStream.open(Unknown Source)\n"
                "\tat com.acme.invoices.TemplateStore.load(TemplateStore.java:41)\n"
                "\tat com.acme.invoices.PdfRenderer.render(PdfRenderer.java:84)\n"
                "\t... 5 more",
            ),
        ),
        Outcome.ERROR,
        duration_ms=rng.uniform(200, 600),
        memory_used_mb=rng.randint(200, 300),
    )


def invoice_customer_missing(rng: random.Random) -> Invocation:
    """Handled: logged with its exception, the invoice is skipped and retried later."""
    order = order_id(rng)
    return Invocation(
        (
            ("INFO", f"InvoiceHandler - Rendering invoice {_invoice(rng)} for order {order}"),
            (
                "ERROR",
                f"InvoiceHandler - Could not load customer profile for order {order}\n"
                'java.lang.NullPointerException: Cannot invoke "com.acme.invoices.Customer.vatId()" '
                'because "customer" is null\n'
                "\tat com.acme.invoices.TaxCalculator.vatFor(TaxCalculator.java:57)\n"
                "\tat com.acme.invoices.PdfRenderer.render(PdfRenderer.java:71)\n"
                "\tat com.acme.invoices.InvoiceHandler.handleRequest(InvoiceHandler.java:42)\n"
                "\tat com.acme.invoices.InvoiceHandler.handleRequest(InvoiceHandler.java:19)\n"
                f"{_REFLECTION_FRAMES}",
            ),
            ("WARN", f"InvoiceHandler - Invoice for order {order} deferred; will retry in 15 minutes"),
        ),
        duration_ms=rng.uniform(150, 400),
        memory_used_mb=rng.randint(200, 300),
    )


WORKLOAD = Workload(
    name="invoice-renderer",
    runtime="java21",
    handler="com.acme.invoices.InvoiceHandler::handleRequest",
    description="Renders PDF invoices for paid orders",
    platform=FunctionRuntime("java:21.v24", java_voice, memory_mb=1024, timeout_s=60, init_ms=(2400, 3600)),
    hour=(
        (invoice_rendered, 12),
        (invoice_template_missing, 3),
        (invoice_customer_missing, 2),
    ),
    failure=invoice_template_missing,
    tags={"team": "billing", "project": "storefront"},
)
