using Quetzal.Sdk.Core;
using System.Buffers;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// The files of a scenario that Quenedi reads besides the networks and params.json, checked when present (none is
/// required): styles.json, info.json, inputs/modelConfig.json, inputs/od/od.geojson.
/// </summary>
public static class ScenarioFiles
{
    public const string Styles = "styles.json";
    public const string Info = "info.json";
    public const string ModelConfig = "inputs/modelConfig.json";
    public const string Od = "inputs/od/od.geojson";

    /// <summary>The members of info.json Quenedi shows; each a text when present.</summary>
    public static readonly IReadOnlyList<string> InfoMembers = ["description", "model_tag", "last_modified_date", "last_modified_email"];

    /// <summary>Checks the optional files of a scenario folder that exist.</summary>
    public static void Validate(string scenarioFolder, DiagnosticBag bag, CancellationToken cancellation)
    {
        var styles = Path.Combine(scenarioFolder, Styles);
        if (ModelFiles.Exists(styles)) ValidateStyles(styles, bag);
        var info = Path.Combine(scenarioFolder, Info);
        if (ModelFiles.Exists(info)) ValidateInfo(info, bag);
        var config = Path.Combine(scenarioFolder, ModelConfig);
        if (ModelFiles.Exists(config)) JsonTree.Load(config, Codes.InvalidJson, bag);
        var od = Path.Combine(scenarioFolder, Od);
        if (ModelFiles.Exists(od)) FeatureCollection(od, bag, cancellation);
    }

    /// <summary>styles.json: a list whose every element is an object with 'name' and 'layer' (the app refuses it otherwise).</summary>
    public static void ValidateStyles(string path, DiagnosticBag bag)
    {
        if (JsonTree.Load(path, Codes.InvalidJson, bag) is not { } root) return;
        if (root.Kind != JsonKind.Array)
        {
            bag.Add(Codes.StylesInvalid, path, root.Line, root.Column, "$", $"expected a list of styles, found {root.Describe()}");
            return;
        }
        for (var i = 0; i < root.Items.Count; i++)
        {
            var style = root.Items[i];
            var missing = style.Kind != JsonKind.Object ? null : new[] { "name", "layer" }.FirstOrDefault(m => style[m] is null);
            if (style.Kind != JsonKind.Object) bag.Add(Codes.StylesInvalid, path, style.Line, style.Column, $"$[{i}]", $"expected a style object, found {style.Describe()}");
            else if (missing is not null) bag.Add(Codes.StylesInvalid, path, style.Line, style.Column, $"$[{i}]", $"the style has no '{missing}'");
        }
    }

    /// <summary>info.json: an object whose description, model_tag and last_modified_* are texts.</summary>
    public static void ValidateInfo(string path, DiagnosticBag bag)
    {
        if (JsonTree.Load(path, Codes.InvalidJson, bag) is not { } root) return;
        if (root.Kind != JsonKind.Object)
        {
            bag.Add(Codes.InfoInvalid, path, root.Line, root.Column, "$", $"expected an object, found {root.Describe()}");
            return;
        }
        foreach (var member in InfoMembers)
            if (root[member] is { } value && !value.IsString && value.Kind != JsonKind.Null)
                bag.Add(Codes.InfoInvalid, path, value.Line, value.Column, "$." + member, $"expected text, found {value.Describe()}");
    }

    /// <summary>
    /// A GeoJSON FeatureCollection whose features are objects, read as a stream (an OD layer can be as large as a
    /// network): the memory holds one buffer, never the file.
    /// </summary>
    public static void FeatureCollection(string path, DiagnosticBag bag, CancellationToken cancellation)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var stream = ModelFiles.OpenRead(path, 1, FileOptions.SequentialScan);
            var state = new JsonReaderState(new JsonReaderOptions { MaxDepth = 256 });
            int length = 0, consumed = 0;
            var final = false;
            string? property = null, type = null;
            var sawFeatures = false;
            var inFeatures = false;
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                if (consumed > 0)
                {
                    Buffer.BlockCopy(buffer, consumed, buffer, 0, length - consumed);
                    length -= consumed;
                    consumed = 0;
                }
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, larger, 0, length);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = stream.Read(buffer, length, buffer.Length - length);
                length += read;
                final = read == 0;
                var reader = new Utf8JsonReader(buffer.AsSpan(0, length), final, state);
                try
                {
                    while (reader.Read())
                    {
                        var depth = reader.CurrentDepth;
                        if (depth == 0 && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.EndObject))
                        {
                            bag.Add(Codes.NotFeatureCollection, path, 1, 1, $"it is {reader.TokenType.ToString().ToLowerInvariant()}, not an object");
                            return;
                        }
                        if (depth == 1 && reader.TokenType == JsonTokenType.PropertyName) property = reader.GetString();
                        else if (depth == 1 && property == "type" && reader.TokenType == JsonTokenType.String) type = reader.GetString();
                        else if (depth == 1 && property == "features" && reader.TokenType == JsonTokenType.StartArray) sawFeatures = inFeatures = true;
                        else if (depth == 1 && reader.TokenType == JsonTokenType.EndArray) inFeatures = false;
                        else if (depth == 2 && inFeatures && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.EndObject))
                        {
                            bag.Add(Codes.NotFeatureCollection, path, 0, 0, "an element of its 'features' is not a Feature object");
                            return;
                        }
                    }
                }
                catch (JsonException e)
                {
                    var syntax = JsonSyntaxException.From(e);
                    bag.Add(Codes.InvalidJson, path, syntax.Line, syntax.Column, syntax.Message);
                    return;
                }
                state = reader.CurrentState;
                consumed = (int)reader.BytesConsumed;
                if (final) break;
            }
            if (type != "FeatureCollection") bag.Add(Codes.NotFeatureCollection, path, 1, 1, type is null ? "it has no \"type\": \"FeatureCollection\"" : $"its type is '{type}'");
            else if (!sawFeatures) bag.Add(Codes.NotFeatureCollection, path, 1, 1, "it has no 'features' array");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            bag.Add(Codes.UnreadableFile, path, 0, 0, e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
