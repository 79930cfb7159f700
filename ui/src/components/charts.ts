import { BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip } from 'chart.js';

// Only what the pages draw: line charts of live statistics, the scatter map of the fleet, Explore's bars.
Chart.register(BarController, BarElement, LineController, ScatterController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler);
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font').trim() || 'system-ui, sans-serif';
Chart.defaults.color = '#4b5563';
Chart.defaults.animation = false;

export { Chart };
