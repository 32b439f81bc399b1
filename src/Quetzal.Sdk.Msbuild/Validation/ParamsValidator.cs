using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// params.json as today's Quenedi reads and writes it: a list whose elements are categories
/// <c>{category, model?, info?, params: [{name, value, type?, text?, precision?, units?, hint?, rules?, multiple?, items?}]}</c>,
/// info entries <c>{info, model?}</c> and variants entries <c>{variants, choices, multiple?, label?, model?}</c>. What the
/// app refuses is QTZ1301; what it loads but would misread is the warning QTZ1302; a file the app loads and runs as
/// intended is never refused. Both carry the JSON path of the member and its position.
/// </summary>
public static class ParamsValidator
{
    /// <summary>The workflow an element without <c>model</c> belongs to.</summary>
    public const string DefaultWorkflow = Model.WorkflowSteps.DefaultWorkflow;

    /// <summary>The suffix of a per-variant parameter's name.</summary>
    public const string VariantSuffix = "#VAR";

    private static readonly HashSet<string> Types = ["Number", "String", "Boolean"];

    public static JsonTree? Validate(string path, DiagnosticBag bag)
    {
        if (JsonTree.Load(path, Codes.InvalidJson, bag) is not { } root) return null;

        void Refused(JsonTree at, string jsonPath, string message) => bag.Add(Codes.InvalidParams, path, at.Line, at.Column, jsonPath, message);
        void Misread(JsonTree at, string jsonPath, string message) => bag.Add(Codes.ParamsMisread, path, at.Line, at.Column, jsonPath, message);

        if (root.Kind != JsonKind.Array)
        {
            Refused(root, "$", $"expected a list of categories, info and variants entries, found {root.Describe()}");
            return null;
        }

        var withVariants = new HashSet<string>(StringComparer.Ordinal);
        var perVariant = new List<(JsonTree At, string JsonPath, string Name, IReadOnlyList<string> Workflows)>();
        for (var c = 0; c < root.Items.Count; c++)
        {
            var element = root.Items[c];
            var at = $"$[{c}]";
            if (element.Kind != JsonKind.Object)
            {
                Refused(element, at, $"expected a category, an info entry or a variants entry (an object), found {element.Describe()}");
                continue;
            }
            var workflows = Workflows(element, at, Misread);
            if (element["category"] is null && element["params"] is null)
            {
                if (element["variants"] is not null || element["choices"] is not null)
                {
                    Variants(element, at, Misread);
                    withVariants.UnionWith(workflows);
                }
                else if (element["info"] is { } info)
                {
                    if (!info.IsString) Misread(info, at + ".info", $"expected text, found {info.Describe()}");
                }
                else
                {
                    Refused(element, at, "this is neither a category ('category' and 'params'), an info entry ('info') nor a variants entry ('variants' and 'choices')");
                }
                continue;
            }

            var name = element["category"];
            var parameters = element["params"];
            if (name is null || parameters is null)
            {
                Refused(element, at, $"a category needs both 'category' and 'params'; this one has no '{(name is null ? "category" : "params")}'");
                continue;
            }
            if (!name.IsString) Misread(name, at + ".category", $"expected text, found {name.Describe()}");
            if (element["info"] is { IsString: false } categoryInfo) Misread(categoryInfo, at + ".info", $"expected text, found {categoryInfo.Describe()}");
            if (parameters.Kind != JsonKind.Array)
            {
                Refused(parameters, at + ".params", $"expected a list of parameters, found {parameters.Describe()}");
                continue;
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var p = 0; p < parameters.Items.Count; p++)
            {
                var parameter = parameters.Items[p];
                var pAt = $"{at}.params[{p}]";
                if (parameter.Kind != JsonKind.Object)
                {
                    Refused(parameter, pAt, $"expected a parameter object, found {parameter.Describe()}");
                    continue;
                }
                var pName = parameter["name"];
                var value = parameter["value"];
                if (pName is null || value is null)
                {
                    Refused(parameter, pAt, $"the parameter has no '{(pName is null ? "name" : "value")}'");
                    continue;
                }
                if (!pName.IsString || string.IsNullOrWhiteSpace(pName.String)) Misread(pName, pAt + ".name", $"expected a non-empty text, found {pName.Describe()}");
                else
                {
                    if (!names.Add(pName.String!)) Misread(pName, pAt + ".name", $"the name '{pName.String}' is already used in this category: the run gets one value for both");
                    if (pName.String!.EndsWith(VariantSuffix, StringComparison.Ordinal)) perVariant.Add((pName, pAt + ".name", pName.String, workflows));
                }
                Parameter(parameter, pAt, Misread);
            }
        }
        foreach (var (at, jsonPath, name, workflows) in perVariant)
            foreach (var workflow in workflows.Where(w => !withVariants.Contains(w)))
                Misread(at, jsonPath, $"'{name}' is a per-variant parameter ({VariantSuffix}), but the workflow '{workflow}' has no variants entry: it gets no variants to run");
        return root;
    }

    /// <summary>The workflows ("choices") an element belongs to: its <c>model</c>, a text or a list of texts, else 'default'.</summary>
    private static IReadOnlyList<string> Workflows(JsonTree element, string at, Action<JsonTree, string, string> misread)
    {
        var model = element["model"];
        switch (model)
        {
            case null or { Kind: JsonKind.Null }:
                return [DefaultWorkflow];
            case { IsString: true }:
                return [model.String!];
            case { Kind: JsonKind.Array } when model.Items.All(i => i.IsString):
                return model.Items.Select(i => i.String!).ToList();
            default:
                misread(model, at + ".model", $"expected a workflow's name or a list of them, found {model.Describe()}");
                return [];
        }
    }

    private static void Variants(JsonTree element, string at, Action<JsonTree, string, string> misread)
    {
        List<string>? Texts(string member)
        {
            var list = element[member];
            if (list is { Kind: JsonKind.Array } && list.Items.All(i => i.IsString)) return list.Items.Select(i => i.String!).ToList();
            misread(list ?? element, list is null ? at : $"{at}.{member}", list is null ? $"a variants entry needs '{member}'" : $"expected a list of texts, found {list.Describe()}");
            return null;
        }
        var variants = Texts("variants");
        var choices = Texts("choices");
        if (variants is not null && choices is not null)
            foreach (var (variant, i) in variants.Select((v, i) => (v, i)).Where(p => !choices.Contains(p.v)))
                misread(element["variants"]!.Items[i], $"{at}.variants[{i}]", $"'{variant}' is not one of the choices ({string.Join(", ", choices)})");
        if (element["multiple"] is { IsBoolean: false } multiple) misread(multiple, at + ".multiple", $"expected true or false, found {multiple.Describe()}");
        if (element["label"] is { IsString: false } label) misread(label, at + ".label", $"expected text, found {label.Describe()}");
    }

    private static void Parameter(JsonTree parameter, string at, Action<JsonTree, string, string> misread)
    {
        foreach (var member in new[] { "text", "hint", "units" })
            if (parameter[member] is { } text && !text.IsString && text.Kind != JsonKind.Null)
                misread(text, $"{at}.{member}", $"expected text, found {text.Describe()}");
        if (parameter["rules"] is { } rules && rules.Kind is not (JsonKind.Array or JsonKind.Null))
            misread(rules, at + ".rules", $"expected a list, found {rules.Describe()}");
        if (parameter["precision"] is { } precision && precision.Kind is not (JsonKind.Number or JsonKind.Null))
            misread(precision, at + ".precision", $"expected a number of decimals, found {precision.Describe()}");
        var multiple = parameter["multiple"];
        if (multiple is not null && !multiple.IsBoolean && multiple.Kind != JsonKind.Null)
            misread(multiple, at + ".multiple", $"expected true or false, found {multiple.Describe()}");
        if (parameter["items"] is { } items && items.Kind != JsonKind.Array && !(items.IsString && items.String == "$scenarios") && items.Kind != JsonKind.Null)
            misread(items, at + ".items", $"expected a list of choices or \"$scenarios\", found {items.Describe()}");

        var type = parameter["type"];
        if (type is null || type.Kind == JsonKind.Null) return;
        if (!type.IsString || !Types.Contains(type.String!))
        {
            misread(type, at + ".type", $"'{(type.IsString ? type.String : type.Describe())}' is not a type the app knows (Number, String, Boolean): it shows the value as text");
            return;
        }
        var value = parameter["value"]!;
        var values = multiple is { Kind: JsonKind.True } && value.Kind == JsonKind.Array ? value.Items : [value];
        foreach (var item in values)
        {
            var fits = type.String switch
            {
                "Number" => item.Kind == JsonKind.Number,
                "String" => item.IsString,
                _ => item.IsBoolean,
            };
            if (!fits && item.Kind != JsonKind.Null)
            {
                misread(item, at + ".value", $"the type is {type.String} but the value is {item.Describe()}{Fix(type.String!, item)}");
                break;
            }
        }
    }

    /// <summary>
    /// What to write instead, when the value says it: the step reads a string where a number was meant and crashes, or
    /// reads "false" as true. A decimal comma is what a French or German keyboard types.
    /// </summary>
    private static string Fix(string type, JsonTree value)
    {
        if (!value.IsString) return type == "String" && value.Kind is JsonKind.Number or JsonKind.True or JsonKind.False ? ": write it in quotes" : "";
        var text = value.String!.Trim();
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        const System.Globalization.NumberStyles style = System.Globalization.NumberStyles.Float;
        return type switch
        {
            "Number" when double.TryParse(text, style, invariant, out var n) => $": write {n.ToString("R", invariant)} without quotes, or the step reads the text \"{value.String}\"",
            "Number" when double.TryParse(text.Replace(',', '.'), style, invariant, out var n) && text.Count(c => c == ',') == 1 && !text.Contains('.')
                => $": write {n.ToString("R", invariant)}, with a point and without quotes (JSON has no decimal comma)",
            "Boolean" when text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("false", StringComparison.OrdinalIgnoreCase)
                => $": write {text.ToLowerInvariant()} without quotes; Python takes any text that is not empty, \"false\" too, for true",
            _ => "",
        };
    }
}
