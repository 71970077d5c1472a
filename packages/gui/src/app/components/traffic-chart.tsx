import { useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatMs, formatPercent, formatRate, type TrafficSeries } from '../lib/stats.js';

interface ChartSpec {
  title: string;
  values: (number | null)[];
  color: string;
  fmt: (n: number) => string;
}

function Chart(props: { t: number[]; spec: ChartSpec }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const width = () => Math.max(240, node.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 170,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
        axes: [
          { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' } },
          { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' }, size: 64, values: (_u, vals) => vals.map((v) => props.spec.fmt(v)) },
        ],
        series: [{}, { label: props.spec.title, stroke: props.spec.color, width: 2, fill: `${props.spec.color}22`, spanGaps: false, points: { show: false } }],
      },
      [props.t, props.spec.values],
      node,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: 170 }));
    ro.observe(node);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.t, props.spec]);
  return <div ref={el} class="chart-canvas" />;
}

/** Requests/s, error rate and p99 latency over the points of the series (the last hour). */
export function TrafficCharts(props: { series: TrafficSeries }) {
  const s = props.series;
  const last = <T,>(xs: (T | null)[]): T | undefined => {
    for (let i = xs.length - 1; i >= 0; i--) if (xs[i] !== null && xs[i] !== undefined) return xs[i] as T;
    return undefined;
  };
  const specs: ChartSpec[] = useMemo(
    () => [
      { title: 'Requests per second', values: s.rps, color: '#0e7490', fmt: (n) => formatRate(n) },
      { title: 'Error rate', values: s.errorRate, color: '#b91c1c', fmt: (n) => formatPercent(n) },
      { title: 'p99 latency', values: s.p99Ms, color: '#7c3aed', fmt: (n) => formatMs(n) },
    ],
    [s],
  );
  return (
    <div class="charts">
      {specs.map((spec) => {
        const hasData = spec.values.some((v) => v !== null);
        const now = last(spec.values);
        return (
          <div class="chart" key={spec.title}>
            <div class="chart-head">
              <span>{spec.title}</span>
              <span class="chart-now">{now === undefined ? 'no data' : `now ${spec.fmt(now)}`}</span>
            </div>
            {hasData ? <Chart t={s.t} spec={spec} /> : <div class="chart-empty">No {spec.title.toLowerCase()} reported in this hour.</div>}
          </div>
        );
      })}
    </div>
  );
}
