using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// params.json as Quenedi reads it: a list of categories <c>{category, model?, params: [{name, value, ...}]}</c>.
/// Errors carry the JSON path of the offending member and its position.
/// </summary>
public static class ParamsValidator
{
    public static JsonTree? Validate(string path, DiagnosticBag bag)
    {
        if (JsonTree.Load(path, Codes.InvalidJson, bag) is not { } root) return null;

        void Error(JsonTree at, string jsonPath, string message) => bag.Add(Codes.InvalidParams, path, at.Line, at.Column, jsonPath, message);

        if (root.Kind != JsonKind.Array)
        {
            Error(root, "$", $"expected a list of categories, found {root.Describe()}");
            return null;
        }
        for (var c = 0; c < root.Items.Count; c++)
        {
            var category = root.Items[c];
            var at = $"$[{c}]";
            if (category.Kind != JsonKind.Object)
            {
                Error(category, at, $"expected a category object, found {category.Describe()}");
                continue;
            }
            var name = category["category"];
            if (name is null) Error(category, at, "the category has no 'category' name");
            else if (!name.IsString) Error(name, at + ".category", $"expected a string, found {name.Describe()}");
            var model = category["model"];
            if (model is not null && !model.IsString && model.Kind != JsonKind.Null) Error(model, at + ".model", $"expected a string, found {model.Describe()}");

            var parameters = category["params"];
            if (parameters is null)
            {
                Error(category, at, "the category has no 'params' list");
                continue;
            }
            if (parameters.Kind != JsonKind.Array)
            {
                Error(parameters, at + ".params", $"expected a list of parameters, found {parameters.Describe()}");
                continue;
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var p = 0; p < parameters.Items.Count; p++)
            {
                var parameter = parameters.Items[p];
                var pAt = $"{at}.params[{p}]";
                if (parameter.Kind != JsonKind.Object)
                {
                    Error(parameter, pAt, $"expected a parameter object, found {parameter.Describe()}");
                    continue;
                }
                var pName = parameter["name"];
                if (pName is null) Error(parameter, pAt, "the parameter has no 'name'");
                else if (!pName.IsString || string.IsNullOrWhiteSpace(pName.String)) Error(pName, pAt + ".name", "expected a non-empty string");
                else if (!names.Add(pName.String!)) Error(pName, pAt + ".name", $"the name '{pName.String}' is already used in this category");
                if (parameter["value"] is null) Error(parameter, pAt, "the parameter has no 'value'");
                foreach (var text in new[] { "type", "text", "hint", "units" })
                {
                    var member = parameter[text];
                    if (member is not null && !member.IsString && member.Kind != JsonKind.Null)
                        Error(member, $"{pAt}.{text}", $"expected a string, found {member.Describe()}");
                }
                foreach (var list in new[] { "rules", "items" })
                {
                    var member = parameter[list];
                    if (member is not null && member.Kind is not (JsonKind.Array or JsonKind.Null))
                        Error(member, $"{pAt}.{list}", $"expected a list, found {member.Describe()}");
                }
            }
        }
        return root;
    }
}
