var Page_ValidationVer = "125";
function ValidatorUpdateDisplay(val) { val.style.visibility = val.isvalid ? "hidden" : "visible"; }
