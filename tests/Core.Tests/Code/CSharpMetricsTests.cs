using DevMentor.Core.Code.Analysis;

namespace DevMentor.Core.Tests.Code;

/// <summary>Cyclomatic complexity of known methods and the maintainability index of types, from Roslyn syntax trees.</summary>
public sealed class CSharpMetricsTests
{
    private const string Source = """
        namespace Demo;

        public sealed class Calculator
        {
            public int Straight(int a) => a + 1;

            public int Branches(int a, int? b)
            {
                if (a > 0 && b is not null)            // if, &&
                {
                    return a;
                }

                for (var i = 0; i < a; i++) { }         // for
                foreach (var x in new[] { 1 }) { }      // foreach
                while (a-- > 10 || a == 3) { }          // while, ||
                var c = b ?? 0;                         // ??
                var d = a > 2 ? 1 : 2;                  // ?:
                try { } catch (System.Exception) { }    // catch
                switch (a)
                {
                    case 1: break;                      // case
                    case 2: break;                      // case
                    default: break;
                }

                return a switch { 1 => 1, 2 => 2, _ => 3 } + c + d;   // 2 arms (the discard is not a decision)
            }

            public int Property { get { return field > 0 ? 1 : 0; } set { field = value; } }

            public sealed class Nested
            {
                public void Inner(bool x) { if (x) { } }
            }
        }
        """;

    [Fact]
    public void Complexity_counts_each_decision_once()
    {
        var metrics = CSharpMetrics.Measure(Source, CancellationToken.None);
        var byName = metrics.Methods.ToDictionary(m => m.Name, m => m.Complexity);
        Assert.Equal(1, byName["Calculator.Straight"]);
        // 1 + if + && + for + foreach + while + || + ?? + ?: + catch + 2 cases + 2 switch arms = 14
        Assert.Equal(14, byName["Calculator.Branches"]);
        Assert.Equal(2, byName["Calculator.Property.get"]);
        Assert.Equal(1, byName["Calculator.Property.set"]);
        Assert.Equal(2, byName["Calculator.Nested.Inner"]);
        Assert.Equal(7, metrics.Methods.Single(m => m.Name == "Calculator.Branches").Line);
    }

    [Fact]
    public void Types_get_a_maintainability_index_and_simpler_types_score_higher()
    {
        var metrics = CSharpMetrics.Measure(Source, CancellationToken.None);
        var calculator = metrics.Types.Single(t => t.Name == "Calculator");
        var nested = metrics.Types.Single(t => t.Name == "Calculator.Nested");
        Assert.InRange(calculator.Maintainability, 1, 100);
        Assert.True(nested.Maintainability > calculator.Maintainability, $"{nested.Maintainability} <= {calculator.Maintainability}");
        Assert.Equal(3, calculator.Line);
    }

    [Fact]
    public void Broken_code_is_measured_without_throwing()
    {
        var metrics = CSharpMetrics.Measure("class A { void M() { if (x { } ", CancellationToken.None);
        Assert.Equal("A.M", Assert.Single(metrics.Methods).Name);
    }
}
