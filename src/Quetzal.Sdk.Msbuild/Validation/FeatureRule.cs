using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Quetzal.Sdk.Diagnostics;

namespace Quetzal.Sdk.Validation;

/// <summary>
/// A rule every feature of a network is checked against, whose breaches are listed (the first few, with their
/// positions) and counted: its code, and where it applies. Reported in the order of <see cref="All"/>; duplicate
/// indexes, found across the whole file when the parts are merged, follow <see cref="MissingIndex"/>.
/// </summary>
internal sealed record FeatureRule(int Slot, DiagnosticDescriptor Code, string AppliesTo)
{
    public static readonly FeatureRule WrongGeometry = new(0, Codes.WrongGeometry, "every feature: a GeoJSON Feature whose geometry is a Point (nodes) or a LineString (links)");
    public static readonly FeatureRule BadCoordinates = new(1, Codes.InvalidCoordinates, "every feature: [longitude, latitude] positions in degrees, of the geometry's shape");
    public static readonly FeatureRule MissingIndex = new(2, Codes.MissingIndex, "every feature: properties.index, a string or a number");
    public static readonly FeatureRule MissingEndpoint = new(3, Codes.MissingEndpoint, "links: properties.a and properties.b");
    public static readonly FeatureRule DanglingEndpoint = new(4, Codes.DanglingEndpoint, "links, when their nodes file could be read: a and b are indexes of that file");
    public static readonly FeatureRule MissingPt = new(5, Codes.MissingPtAttribute, "pt links: properties.trip_id and properties.link_sequence");

    public static readonly IReadOnlyList<FeatureRule> All = [WrongGeometry, BadCoordinates, MissingIndex, MissingEndpoint, DanglingEndpoint, MissingPt];
}
