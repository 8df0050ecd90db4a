"""Step 2 in the browser: a mapped column with empty cells is flagged with the count and the
choice to skip those rows (issue 8, item 6)."""

from campaigns.models import Campaign
from tests.browser.test_wizard import next_step, shoot, start

CSV = (
    "telefone;nome;pedido\n+55 11 91234-5678;Carla;A1\n+5521998877665;Diego;\n+5531988887777;;A3\n"
)


def test_empty_cells_of_a_mapped_column_are_flagged_then_skipped(page, demo, login, tmp_path):
    csv_file = tmp_path / "pedidos.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    start(page, login)
    page.fill("#id_audience-name", "Pedidos parados")
    page.check("input[name='audience-kind'][value='bulk']")
    page.set_input_files("#id_audience-audience_file", str(csv_file))
    next_step(page, "content")
    page.select_option("#id_content-template", label="retomada_pedido (pt_BR)")
    page.select_option("#id_content-var_1", "nome")
    page.select_option("#id_content-var_2", "pedido")
    page.select_option("#id_content-button_column", "pedido")
    next_step(page, "content")  # refused: two rows would fail at the send
    box = page.locator("#rows-missing")
    assert box.get_attribute("data-count") == "2"
    assert box.locator("[data-code=template_variable_cells_empty]").count() == 1
    assert "nome, pedido" in box.inner_text()
    shoot(page, "wizard-2-content-empty-cells")
    page.check("#id_content-skip_rows_missing")
    next_step(page, "routing")
    page.check("input[name='routing-routing'][value='flow']")
    page.select_option("#id_routing-routing_bot", label="Demo Router › Vendas")
    page.select_option("#id_routing-flow_block", label="Ofertas")
    next_step(page, "send")
    page.click("[data-testid=send-campaign]")
    page.wait_for_selector("#campaign-summary")
    campaign = Campaign.objects.get()
    assert (campaign.audience_size, campaign.skipped_rows) == (1, 2)
