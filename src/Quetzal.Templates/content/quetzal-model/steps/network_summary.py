"""Step 1: reads the pt and road networks and writes a summary of them (outputs/network_summary.json)."""

from model_io import launcher_arg, read_json, scenario_path, write_json

arg = launcher_arg()
summary = {}
for network in ("pt", "road"):
    nodes = read_json(scenario_path(arg, "inputs", network, "nodes.geojson"))["features"]
    links = read_json(scenario_path(arg, "inputs", network, "links.geojson"))["features"]
    summary[network] = {
        "nodes": len(nodes),
        "links": len(links),
        "length_m": round(sum(link["properties"].get("length", 0) or 0 for link in links), 1),
    }
    print(f"{network}: {len(nodes)} nodes, {len(links)} links")

summary["pt"]["trips"] = len({link["properties"]["trip_id"] for link in
                              read_json(scenario_path(arg, "inputs", "pt", "links.geojson"))["features"]})
write_json(scenario_path(arg, "outputs", "network_summary.json"), summary)
