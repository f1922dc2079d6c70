// Progress polling for background computations: the only script of the site (no external asset).
(function () {
  var el = document.getElementById("job");
  if (!el) { return; }
  var id = el.getAttribute("data-job");
  function poll() {
    fetch("/api/jobs/" + id, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (job) {
        document.getElementById("job-status").textContent = job.status;
        document.getElementById("job-stage").textContent = job.stage || "";
        var bar = document.getElementById("job-progress");
        if (job.total) { bar.max = job.total; bar.value = job.done || 0; }
        document.getElementById("job-error").textContent = job.error || "";
        if (job.status === "done") {
          document.getElementById("job-link").hidden = false;
        } else if (job.status === "failed") {
          document.getElementById("job-failed").hidden = false;
          bar.hidden = true;
          fetch("/api/uploads/" + el.getAttribute("data-upload") + "/verification",
                {credentials: "same-origin"}).then(function (r) {
            if (r.ok) { document.getElementById("job-verdict").hidden = false; }
          });
        } else {
          setTimeout(poll, 500);
        }
      }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
