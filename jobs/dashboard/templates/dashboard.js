/* The dashboard's script: reads the embedded JSON and draws it. Every string reaches the page through
   textContent or as ECharts data (which ECharts draws as text on a canvas); nothing is ever parsed as HTML,
   and a link is only ever the data's own file: URL. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("duban-data").textContent);
  var w = JSON.parse(document.getElementById("duban-words").textContent);
  var colours = data.colours || {};
  var state = { department: null, project: 0 };
  var charts = {};

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function fmt(value, digits) {
    if (value === null || value === undefined) return w.not_available;
    return digits ? Number(value).toFixed(digits) : String(value);
  }
  function pct(value) {
    return value === null || value === undefined ? w.not_available : Math.round(value * 100) + "%";
  }
  function tile(name, value, sub) {
    var node = document.querySelector('.tile[data-kpi="' + name + '"]');
    node.querySelector(".value").textContent = value;
    if (sub !== undefined) node.querySelector(".sub").textContent = sub;
  }
  function fileLink(link) {   // only the data's own file: URL, checked, never anything else
    return typeof link === "string" && /^file:/i.test(link) ? link : null;
  }

  function header() {
    document.getElementById("generated").textContent = (data.generated || "").slice(0, 16).replace("T", " ");
    document.getElementById("folder").textContent = data.folder || "";
    var k = data.kpi || {}, rate = k.on_time_rate || {};
    // the month duban summary --month reports (the last complete one), and the month before it
    tile("on_time", pct(rate["this"]), (data.month || "") + " · " + w.last_month + " " + pct(rate.last));
    tile("ack", fmt(k.ack_hours, 1));
    tile("incident", fmt(k.incident_minutes));
    tile("meetings", fmt(k.meetings), data.month || "");
    ["open", "overdue", "blocked", "stale"].forEach(function (name) { tile(name, fmt(k[name]), w.tiles_scope); });
  }

  function chips() {
    var box = document.getElementById("chips");
    box.textContent = "";
    var all = (data.departments || []).map(function (d) { return d.name; });
    // a chip per department while they fit in a line or two; beyond, the chart is the chooser and the chip shows the choice
    var names = [null].concat(all.length <= 12 ? all : (state.department === null ? [] : [state.department]));
    names.forEach(function (name) {
      var chip = el("button", name === null ? w.all : name, "chip");
      chip.type = "button";
      chip.setAttribute("aria-pressed", String(state.department === name));
      chip.addEventListener("click", function () { choose(name === state.department ? null : name); });
      box.appendChild(chip);
    });
  }

  function make(id) {
    var node = document.getElementById(id);
    var chart = echarts.getInstanceByDom(node) || echarts.init(node, null, { renderer: "canvas" });
    charts[id] = chart;
    return chart;
  }

  function departments() {
    var rows = data.departments || [];
    var node = document.getElementById("chart-departments");
    node.style.height = Math.max(220, rows.length * 30 + 90) + "px";
    var chart = make("chart-departments");
    chart.resize();
    var names = rows.map(function (d) { return d.name; });
    function series(key, label, colour) {
      return { name: label, type: "bar", stack: "all", data: rows.map(function (d) {
        var faded = state.department !== null && d.name !== state.department;
        return { value: d[key] || 0, itemStyle: { opacity: faded ? 0.3 : 1 } };
      }), itemStyle: { color: colour, borderColor: "#8c8c8c", borderWidth: 0.5 } };
    }
    chart.setOption({
      animation: false, tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
      legend: { top: 0 }, grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 }, yAxis: { type: "category", data: names, inverse: true },
      series: [series("done", w.done, colours.done || "#C6EFCE"), series("in_progress", w.in_progress, colours.open || "#FFEB9C"),
               series("overdue", w.overdue, colours.late || "#FFC7CE"), series("blocked", w.blocked, colours.blocked || "#F8CBAD")]
    }, true);
    chart.off("click");
    chart.on("click", function (p) { choose(p.name === state.department ? null : p.name); });
  }

  function trend() {
    var rows = data.trend || [];
    var chart = make("chart-trend");
    chart.setOption({
      animation: false, tooltip: { trigger: "axis", renderMode: "richText" }, legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: rows.map(function (r) { return r.week_end; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: w.open, type: "line", data: rows.map(function (r) { return r.open; }), itemStyle: { color: "#4a78b0" } },
               { name: w.overdue, type: "line", data: rows.map(function (r) { return r.overdue; }), itemStyle: { color: "#c0504d" } }]
    }, true);
  }

  function visible(item) { return state.department === null || item.department === state.department; }

  function legend() {   // what the Gantt's fills and the orange frame mean, in the workbooks' colours
    var box = document.getElementById("gantt-legend");
    [["done", w.state_done], ["open", w.state_open], ["late", w.state_late], ["blocked", w.blocked]].forEach(function (k) {
      var swatch = el("span", null, "swatch" + (k[0] === "blocked" ? " blocked" : ""));
      swatch.style.backgroundColor = k[0] === "blocked" ? (colours.open || "#FFEB9C") : (colours[k[0]] || "#FFEB9C");
      box.appendChild(swatch);
      box.appendChild(document.createTextNode(k[1]));
    });
  }

  function projectChoices() {
    var projects = data.projects || [];
    var shown = projects.map(function (p, i) { return i; }).filter(function (i) {
      return projects[i].items.some(visible);
    });
    if (shown.indexOf(state.project) < 0 && shown.length) state.project = shown[0];
    var select = document.getElementById("project");
    select.textContent = "";
    (shown.length ? shown : [state.project]).forEach(function (i) {
      if (!projects[i]) return;
      var option = el("option", projects[i].name);
      option.value = String(i);
      option.selected = i === state.project;
      select.appendChild(option);
    });
  }

  function gantt() {
    projectChoices();
    var project = (data.projects || [])[state.project] || { name: "", items: [] };
    document.getElementById("project-name").textContent = project.name;
    var items = project.items.filter(function (it) { return visible(it) && (it.due || it.start); });
    document.getElementById("gantt-empty").hidden = items.length > 0;
    var more = document.getElementById("gantt-more");
    more.hidden = !(project.more > 0);
    more.textContent = project.more > 0 ? w.more_items.replace("{n}", String(project.more)) : "";
    var node = document.getElementById("chart-gantt");
    node.style.height = Math.max(200, items.length * 26 + 80) + "px";
    var chart = make("chart-gantt");
    chart.resize();
    var labels = items.map(function (it) { return it.id + " " + it.title; });
    var today = (data.generated || "").slice(0, 10);
    var rows = items.map(function (it, i) {
      var start = it.start || it.due, end = it.due || today;
      if (end < start) end = start;
      return { value: [i, start, end, it.state, it.owner, it.department, it.blocked ? 1 : 0],
               itemStyle: { color: colours[it.state] || colours.open || "#FFEB9C" } };
    });
    function renderItem(params, api) {
      var from = api.coord([api.value(1), api.value(0)]);
      var to = api.coord([api.value(2), api.value(0)]);
      var height = api.size([0, 1])[1] * 0.6;
      var width = Math.max(to[0] - from[0], 4);
      var shape = echarts.graphic.clipRectByRect({ x: from[0], y: from[1] - height / 2, width: width, height: height },
        { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height });
      return shape && { type: "rect", transition: ["shape"], shape: shape,
                        style: { fill: api.visual("color"), stroke: api.value(6) ? "#e46c0a" : "#7f7f7f",
                                 lineWidth: api.value(6) ? 2.5 : 1 } };   // a blocked item: an orange frame
    }
    var stateWord = { done: w.state_done, open: w.state_open, late: w.state_late };
    chart.setOption({
      animation: false,
      tooltip: { renderMode: "richText", formatter: function (p) {   // richText: drawn on the canvas, never HTML
        var v = p.value;
        return labels[v[0]] + " · " + (v[5] || "") + " · " + (v[4] || "") + "\n" + v[1] + " → " + v[2] + " · " + (stateWord[v[3]] || "") + (v[6] ? " · " + w.blocked : ""); } },
      grid: { left: 8, right: 24, top: 24, bottom: 24, containLabel: true },
      xAxis: { type: "time", position: "top", splitLine: { show: true },   // reaches today, so its line shows
               min: function (v) { return today ? Math.min(v.min, +new Date(today)) : v.min; },
               max: function (v) { return today ? Math.max(v.max, +new Date(today)) : v.max; },
               axisLabel: { formatter: { year: "{yyyy}", month: "{MM}-{dd}", day: "{MM}-{dd}" }, hideOverlap: true } },
      yAxis: { type: "category", data: labels, inverse: true,
               axisLabel: { width: Math.min(180, Math.round(node.clientWidth * 0.4)), overflow: "truncate" } },
      series: [{ type: "custom", renderItem: renderItem, encode: { x: [1, 2], y: 0 }, data: rows,
                 markLine: { symbol: "none", silent: true, lineStyle: { color: "#c0504d", type: "dashed", width: 2 },
                             label: { formatter: w.today, position: "end" }, data: today ? [{ xAxis: today }] : [] } }]
    }, true);
  }

  function late() {
    var body = document.querySelector("#late tbody");
    body.textContent = "";
    var rows = (data.late || []).filter(visible);
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      tr.dataset.department = r.department || "";
      tr.appendChild(el("td", r.id));
      tr.appendChild(el("td", r.title));
      tr.appendChild(el("td", r.department));
      tr.appendChild(el("td", r.owner));
      tr.appendChild(el("td", r.blocked && !r.days_late ? w.blocked : r.days_late, "num"));
      tr.appendChild(el("td", r.help_from, r.blocked ? "blocked-mark" : ""));
      var where = el("td"), href = fileLink(r.link);
      if (href) { var a = el("a", r.where || r.workbook); a.href = href; where.appendChild(a); }
      else where.textContent = r.where || r.workbook || "";
      tr.appendChild(where);
      body.appendChild(tr);
    });
    document.getElementById("late-empty").hidden = rows.length > 0;
  }

  function problems() {
    var body = document.querySelector("#problems tbody");
    var rows = data.problems || [];
    rows.forEach(function (p) {
      var tr = document.createElement("tr");
      tr.appendChild(el("td", p.workbook));
      tr.appendChild(el("td", p.count, "num"));
      tr.appendChild(el("td", p.first));
      body.appendChild(tr);
    });
    document.getElementById("problems-empty").hidden = rows.length > 0;
  }

  function choose(name) {   // a department, or null for all: everything that lists items follows it
    state.department = name;
    chips();
    departments();
    gantt();
    late();
  }

  function resize() { Object.keys(charts).forEach(function (id) { charts[id].resize(); }); }

  header();
  legend();
  problems();
  trend();
  choose(null);
  document.getElementById("project").addEventListener("change", function (e) {
    state.project = Number(e.target.value);
    gantt();
  });
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
  window.matchMedia("print").addEventListener("change", resize);   // the print layout's widths, before it prints
})();
