"""Hostile strings that must show as text and never run."""

XSS_IMG = "<img src=x onerror=\"window.__canary='img'\">"
XSS_TPL = "${(window.__canary='tpl')}"
XSS_TICK = "back`tick"
XSS_SCRIPT = "</script><script>window.__canary='script'</script>"
XSS_ALL = (XSS_IMG, XSS_TPL, XSS_TICK, XSS_SCRIPT)
