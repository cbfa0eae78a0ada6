(function(){"use strict";
var d=document,root=d.documentElement;root.setAttribute("data-js","on");
var probe=d.querySelector(".verdict");
if(probe&&getComputedStyle(probe).borderTopLeftRadius==="6px"){root.setAttribute("data-css","on");}
var bar=d.getElementById("finding-tools");if(!bar){return;}
bar.hidden=false;
var q=d.getElementById("finding-filter"),min=d.getElementById("finding-min"),count=d.getElementById("finding-count");
var groups=Array.prototype.slice.call(d.querySelectorAll("details.rule"));
var rank={info:0,low:1,medium:2,high:3,critical:4};
function apply(){var t=(q.value||"").toLowerCase(),m=rank[min.value]||0,shown=0;
groups.forEach(function(g){var ok=(rank[g.getAttribute("data-sev")]||0)>=m&&(!t||g.textContent.toLowerCase().indexOf(t)>=0);g.hidden=!ok;if(ok){shown++;}});
count.textContent=shown+" of "+groups.length+" rules shown";}
q.addEventListener("input",apply);min.addEventListener("change",apply);
d.getElementById("expand-all").addEventListener("click",function(){groups.forEach(function(g){if(!g.hidden){g.open=true;}});});
d.getElementById("collapse-all").addEventListener("click",function(){groups.forEach(function(g){g.open=false;});});
window.addEventListener("beforeprint",function(){Array.prototype.forEach.call(d.querySelectorAll("details"),function(x){x.open=true;});});
apply();})();
