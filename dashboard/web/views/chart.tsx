import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A uPlot line chart of one series; `ts` in epoch ms. */
export function Chart(props: { ts: number[]; values: (number | null)[]; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth || 600);
    const plot = new uPlot(
      {
        width,
        height: 260,
        series: [{}, { label: props.label, stroke: '#58a6ff', width: 2, spanGaps: true }],
        axes: [
          { stroke: '#8792a2', grid: { stroke: '#2a3342' }, ticks: { stroke: '#2a3342' } },
          { stroke: '#8792a2', grid: { stroke: '#2a3342' }, ticks: { stroke: '#2a3342' } },
        ],
        legend: { show: true },
        cursor: { drag: { x: true, y: false } },
      },
      [props.ts.map((ts) => ts / 1000), props.values],
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 260 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [props.ts, props.values, props.label]);
  return <div class="chart" ref={host} data-points={props.ts.length} />;
}

/** A small SVG sparkline of the recent values. */
export function Sparkline(props: { values: number[] | undefined }) {
  const values = props.values ?? [];
  if (values.length < 2) return <svg class="spark" viewBox="0 0 100 24" />;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const points = values
    .map(
      (v, i) =>
        `${((i / (values.length - 1)) * 100).toFixed(1)},${(22 - ((v - min) / span) * 20).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg class="spark" viewBox="0 0 100 24" preserveAspectRatio="none">
      <polyline points={points} fill="none" stroke="#58a6ff" stroke-width="1.5" />
    </svg>
  );
}
