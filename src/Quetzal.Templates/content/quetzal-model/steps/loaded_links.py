"""Step 2: loads the road links with a volume (outputs/loaded_links.geojson), Quenedi shows it as a result layer.

A stand-in for an assignment: each link carries its capacity (lanes x 1800 veh/h) times the scenario's
demand_factor parameter, and a volume/capacity ratio.
"""

from model_io import launcher_arg, parameter, read_json, scenario_path, write_json

arg = launcher_arg()
demand_factor = float(parameter(arg, "demand_factor", 1.0))
links = read_json(scenario_path(arg, "inputs", "road", "links.geojson"))

for link in links["features"]:
    properties = link["properties"]
    capacity = int(properties.get("lanes") or 1) * 1800
    properties["volume"] = round(0.6 * capacity * demand_factor, 1)
    properties["vc_ratio"] = round(properties["volume"] / capacity, 3)

write_json(scenario_path(arg, "outputs", "loaded_links.geojson"), links)
print(f"loaded {len(links['features'])} road links with demand_factor={demand_factor}")
